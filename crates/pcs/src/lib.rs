//! droste-pcs (being written).
