//! YAML for kustomize-rs: an owned node tree ([`Value`]), a parser front end over
//! `saphyr-parser` with upstream's scalar resolution, an emitter that prints exactly what
//! upstream kustomize v5.7.1 prints (go-yaml v2 after a JSON round trip), and a serde
//! `Deserializer` over the tree for typed configuration.

pub mod de;
pub mod emit;
mod error;
mod fast;
pub mod json;
mod key;
pub mod mapping;
pub mod parse;
pub mod resolve;
mod text;
mod thin;
pub mod value;

pub use compact_str::{format_compact, CompactString, ToCompactString};
pub use emit::{emit_document, emit_documents};
pub use error::Error;
pub use key::{Key, KeyCache};
pub use mapping::Mapping;
pub use parse::{parse_documents, parse_documents_sharing, Schema};
pub use text::Str;
pub use thin::ThinVec;
pub use value::{Number, Seq, Value};
