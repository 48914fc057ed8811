//! A serde `Deserializer` over a parsed [`Value`], for typed configuration such as the
//! `Kustomization`.
//!
//! It mirrors how upstream decodes a kustomization file (YAML -> JSON -> `encoding/json`
//! with `DisallowUnknownFields`):
//! - struct field names match exactly, or else ASCII case-insensitively (`commonlabels`);
//! - types are strict: a bool or a number where a string is wanted is an error;
//! - a `null` value for a struct field leaves the field at its default, as JSON `null` does;
//! - errors name the path of the offending field (`commonLabels.a`).

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::{Mapping, Value};

/// A typed-decoding error, with the path of the field at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    path: Vec<String>,
    message: String,
}

impl DeError {
    fn at(mut self, segment: impl Into<String>) -> Self {
        self.path.push(segment.into());
        self
    }

    /// The dotted path of the field at fault (empty at the top).
    pub fn path(&self) -> String {
        self.path
            .iter()
            .rev()
            .cloned()
            .collect::<Vec<_>>()
            .join(".")
    }

    /// What was wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "field {}: {}", self.path(), self.message)
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            path: Vec::new(),
            message: msg.to_string(),
        }
    }
}

/// Decodes `T` from a parsed value, strictly (upstream's kustomization decoding).
pub fn from_value<'de, T: de::Deserialize<'de>>(value: &'de Value) -> Result<T, DeError> {
    T::deserialize(ValueDeserializer(value, Mode::Strict))
}

/// Decodes `T` leniently, as upstream decodes plugin configs (`sigs.k8s.io/yaml.Unmarshal`
/// into a typed struct): a bool or number where a string is wanted becomes its text, and
/// unknown struct fields are ignored even where the type denies them.
pub fn from_value_lenient<'de, T: de::Deserialize<'de>>(value: &'de Value) -> Result<T, DeError> {
    T::deserialize(ValueDeserializer(value, Mode::Lenient))
}

/// How strictly values are typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Wrong types and unknown fields are errors (where the type denies them).
    Strict,
    /// Scalars become strings where strings are wanted; unknown fields are skipped.
    Lenient,
}

/// A `Deserializer` borrowing a [`Value`].
#[derive(Clone, Copy)]
pub struct ValueDeserializer<'de>(pub &'de Value, pub Mode);

impl<'de> ValueDeserializer<'de> {
    fn invalid(&self, exp: &dyn de::Expected) -> DeError {
        let value = self.0.resolved();
        let unexp = match &*value {
            Value::Null | Value::Blank => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Int(i) => de::Unexpected::Signed(*i),
            Value::UInt(u) => de::Unexpected::Unsigned(*u),
            Value::Float(f) => de::Unexpected::Float(*f),
            Value::String(s) | Value::Plain(s) => de::Unexpected::Str(s),
            Value::Seq(_) => de::Unexpected::Seq,
            Value::Map(_) => de::Unexpected::Map,
        };
        de::Error::invalid_type(unexp, exp)
    }
}

macro_rules! deserialize_int {
    ($($method:ident => $visit:ident : $ty:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let n = match &*self.0.resolved() {
                Value::Null | Value::Blank => Some(0),
                Value::Int(i) => <$ty>::try_from(*i).ok(),
                Value::UInt(u) => <$ty>::try_from(*u).ok(),
                Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    <$ty>::try_from(*f as i64).ok()
                }
                _ => return Err(self.invalid(&visitor)),
            };
            match n {
                Some(n) => visitor.$visit(n),
                None => Err(de::Error::custom(format!(
                    "number out of range for {}", stringify!($ty)
                ))),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Plain(_) => match &*self.0.resolved() {
                Value::Bool(b) => visitor.visit_bool(*b),
                Value::Int(i) => visitor.visit_i64(*i),
                Value::UInt(u) => visitor.visit_u64(*u),
                Value::Float(f) => visitor.visit_f64(*f),
                Value::String(s) => visitor.visit_str(s),
                _ => visitor.visit_unit(),
            },
            Value::Null | Value::Blank => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::UInt(u) => visitor.visit_u64(*u),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Seq(items) => crate::stack::deeper(|| {
                visitor.visit_seq(SeqDe {
                    iter: items.iter().enumerate(),
                    mode: self.1,
                })
            }),
            Value::Map(map) => {
                crate::stack::deeper(|| visitor.visit_map(MapDe::new(map, None, self.1)))
            }
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &*self.0.resolved() {
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Null | Value::Blank => visitor.visit_bool(false),
            _ => Err(self.invalid(&visitor)),
        }
    }

    deserialize_int!(
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64
    );

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &*self.0.resolved() {
            Value::Int(i) => visitor.visit_f64(*i as f64),
            Value::UInt(u) => visitor.visit_f64(*u as f64),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Null | Value::Blank => visitor.visit_f64(0.0),
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    /// `null` decodes as the empty string: JSON `null` leaves a Go value as it was, and
    /// upstream reads every kustomization through JSON (`commonLabels: {a: ~}` sets
    /// `a: ""`). The same holds for numbers, booleans and maps.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if let Value::String(s) = self.0 {
            return visitor.visit_borrowed_str(s);
        }
        match (&*self.0.resolved(), self.1) {
            (Value::String(s), _) => visitor.visit_str(s),
            (Value::Null | Value::Blank, _) => visitor.visit_borrowed_str(""),
            (Value::Bool(b), Mode::Lenient) => visitor.visit_string(b.to_string()),
            (Value::Int(i), Mode::Lenient) => visitor.visit_string(i.to_string()),
            (Value::UInt(u), Mode::Lenient) => visitor.visit_string(u.to_string()),
            (Value::Float(f), Mode::Lenient) => visitor.visit_string(f.to_string()),
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            v if v.is_null() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            v if v.is_null() => visitor.visit_unit(),
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    /// A `null` sequence decodes as empty, as JSON `null` leaves a Go slice nil.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        static EMPTY: Vec<Value> = Vec::new();
        match self.0 {
            Value::Seq(items) => crate::stack::deeper(|| {
                visitor.visit_seq(SeqDe {
                    iter: items.iter().enumerate(),
                    mode: self.1,
                })
            }),
            v if v.is_null() => crate::stack::deeper(|| {
                visitor.visit_seq(SeqDe {
                    iter: EMPTY.iter().enumerate(),
                    mode: self.1,
                })
            }),
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Map(map) => {
                crate::stack::deeper(|| visitor.visit_map(MapDe::new(map, None, self.1)))
            }
            v if v.is_null() => visitor.visit_map(empty_map()),
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Map(map) => {
                crate::stack::deeper(|| visitor.visit_map(MapDe::new(map, Some(fields), self.1)))
            }
            v if v.is_null() => visitor.visit_map(empty_map()),
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqDe<'de> {
    iter: std::iter::Enumerate<std::slice::Iter<'de, Value>>,
    mode: Mode,
}

impl<'de> SeqAccess<'de> for SeqDe<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.iter.next() {
            Some((i, v)) => seed
                .deserialize(ValueDeserializer(v, self.mode))
                .map(Some)
                .map_err(|e| e.at(format!("[{i}]"))),
            None => Ok(None),
        }
    }
}

/// What a `null` map or struct decodes from: no entries.
fn empty_map<'de>(
) -> de::value::MapDeserializer<'de, std::iter::Empty<(&'de str, &'de str)>, DeError> {
    de::value::MapDeserializer::new(std::iter::empty())
}

struct MapDe<'de> {
    iter: crate::mapping::Iter<'de>,
    /// For structs: the field names, to match keys case-insensitively and to skip nulls.
    fields: Option<&'static [&'static str]>,
    pending: Option<(&'de str, &'de Value)>,
    mode: Mode,
}

impl<'de> MapDe<'de> {
    fn new(map: &'de Mapping, fields: Option<&'static [&'static str]>, mode: Mode) -> Self {
        MapDe {
            iter: map.iter(),
            fields,
            pending: None,
            mode,
        }
    }
}

/// The struct field a key names: itself when exact, else the case-insensitive match.
fn field_name<'de>(fields: &'static [&'static str], key: &'de str) -> &'de str {
    if fields.contains(&key) {
        return key;
    }
    fields
        .iter()
        .find(|f| f.eq_ignore_ascii_case(key))
        .copied()
        .unwrap_or(key)
}

impl<'de> MapAccess<'de> for MapDe<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        for (key, value) in self.iter.by_ref() {
            let name = match self.fields {
                Some(fields) => {
                    let name = field_name(fields, key);
                    // JSON `null` leaves a known struct field at its zero value.
                    if value.is_null() && fields.contains(&name) {
                        continue;
                    }
                    if self.mode == Mode::Lenient && !fields.contains(&name) {
                        continue;
                    }
                    name
                }
                None => key.as_str(),
            };
            self.pending = Some((key.as_str(), value));
            return seed
                .deserialize(de::value::BorrowedStrDeserializer::new(name))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| <DeError as de::Error>::custom("value without a key"))?;
        seed.deserialize(ValueDeserializer(value, self.mode))
            .map_err(|e| e.at(key))
    }
}

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;

        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                de::Deserialize::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
                Ok(Value::Int(i))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
                Ok(match i64::try_from(u) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::UInt(u),
                })
            }
            fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
                Ok(Value::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<Value, E> {
                Ok(Value::from(s))
            }
            fn visit_string<E>(self, s: String) -> Result<Value, E> {
                Ok(Value::from(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = crate::Seq::new();
                while let Some(v) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Value::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut out = Mapping::default();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    out.insert(k, v);
                }
                Ok(Value::Map(out))
            }
        }

        deserializer.deserialize_any(ValueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Deserialize, Debug, Default, PartialEq)]
    #[serde(default, deny_unknown_fields, rename_all = "camelCase")]
    struct Conf {
        name_prefix: String,
        common_labels: BTreeMap<String, String>,
        resources: Vec<String>,
        enabled: bool,
        count: i64,
    }

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn fields_match_case_insensitively() {
        let v = map(&[("NAMEPREFIX", "p-".into()), ("count", Value::Int(3))]);
        let c: Conf = from_value(&v).unwrap();
        assert_eq!(c.name_prefix, "p-");
        assert_eq!(c.count, 3);
    }

    #[test]
    fn exact_match_wins_and_null_keeps_default() {
        let v = map(&[("namePrefix", Value::Null), ("resources", Value::Null)]);
        let c: Conf = from_value(&v).unwrap();
        assert_eq!(c, Conf::default());
    }

    #[test]
    fn unknown_field_is_an_error() {
        let v = map(&[("nmePrefix", "x".into())]);
        let e = from_value::<Conf>(&v).unwrap_err();
        assert!(e.to_string().contains("unknown field `nmePrefix`"), "{e}");
    }

    #[test]
    fn bool_where_string_wanted_names_the_path() {
        let v = map(&[("commonLabels", map(&[("a", Value::Bool(true))]))]);
        let e = from_value::<Conf>(&v).unwrap_err();
        assert_eq!(e.path(), "commonLabels.a");
        assert!(e.message().contains("boolean"), "{e}");
    }

    #[test]
    fn number_where_string_wanted_is_an_error() {
        let v = map(&[("resources", Value::from(vec![Value::Int(1)]))]);
        let e = from_value::<Conf>(&v).unwrap_err();
        assert_eq!(e.path(), "resources.[0]");
    }

    #[test]
    fn any_value_round_trips() {
        let v = map(&[("a", Value::from(vec![Value::Bool(false), Value::Null]))]);
        let back: Value = from_value(&v).unwrap();
        assert_eq!(back, v);
    }
}
