//! droste-executor (being written).
