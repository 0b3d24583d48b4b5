//! droste-zkvm (being written).
