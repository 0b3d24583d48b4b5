//! Security calculator (filled in below; see docs/security.md).
