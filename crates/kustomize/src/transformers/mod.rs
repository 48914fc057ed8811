//! The builtin transformers, one per module.

pub mod sort_order;
