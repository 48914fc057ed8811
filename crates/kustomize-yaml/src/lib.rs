//! YAML for kustomize-rs: an owned node tree ([`Value`]; its module documents what the
//! model keeps of upstream's kyaml nodes and what it drops), a parser front end over
//! `granit-parser` with upstream's scalar resolution, an emitter that prints exactly what
//! upstream kustomize v5.7.1 prints (go-yaml v2 after a JSON round trip), and a serde
//! `Deserializer` over the tree for typed configuration.

/// The traits of a string type that reads as one `&str` (`as_str`): deref, borrow,
/// comparison with `str`, order, hash and formatting all go through that text. Equality
/// between two values of the type is left to each (a [`Key`] first compares its word).
macro_rules! text_traits {
    ($t:ty) => {
        impl std::ops::Deref for $t {
            type Target = str;
            fn deref(&self) -> &str {
                self.as_str()
            }
        }

        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl std::borrow::Borrow<str> for $t {
            fn borrow(&self) -> &str {
                self.as_str()
            }
        }

        impl Eq for $t {}

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<$t> for str {
            fn eq(&self, other: &$t) -> bool {
                self == other.as_str()
            }
        }

        impl PartialEq<$t> for &str {
            fn eq(&self, other: &$t) -> bool {
                *self == other.as_str()
            }
        }

        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &$t) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $t {
            fn cmp(&self, other: &$t) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(self.as_str(), f)
            }
        }
    };
}

mod budget;
pub mod de;
pub mod emit;
mod error;
mod fast;
pub mod json;
mod key;
pub mod mapping;
pub mod parse;
pub mod resolve;
pub mod stack;
mod text;
mod thin;
pub mod value;

pub use budget::{Budget, Exhausted};
pub use compact_str::{format_compact, CompactString, ToCompactString};
pub use emit::{emit_document, emit_documents};
pub use error::Error;
pub use key::{Key, KeyCache};
pub use mapping::Mapping;
pub use parse::{
    parse_documents, parse_documents_deferring, parse_documents_in, Context, Deferring, KeyError,
    Schema, MAX_DEPTH, MAX_DEPTH_MESSAGE,
};
pub use text::Str;
pub use thin::ThinVec;
pub use value::{Seq, Size, Value};
