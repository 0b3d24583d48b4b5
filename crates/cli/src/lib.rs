//! droste-cli (being written).
