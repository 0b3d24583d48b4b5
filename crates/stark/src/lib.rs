//! droste-stark (being written).
