//! droste-sdk (being written).
