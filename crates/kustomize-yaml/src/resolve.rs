//! STUB: scalar resolution.
