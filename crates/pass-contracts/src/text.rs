//! Primitive value types that the contract constrains beyond plain JSON.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A string that is non-empty after trimming ("text" in the contract).
///
/// The original string is kept as written; only its emptiness is checked, so
/// round-tripping a document never changes it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(String);

/// Why a string was refused as [`Text`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a non-empty string (after trimming white space)")]
pub struct EmptyText;

impl Text {
    /// Accepts `value` when it has at least one non-white-space character.
    pub fn new(value: impl Into<String>) -> Result<Self, EmptyText> {
        let value = value.into();
        if value.trim().is_empty() {
            Err(EmptyText)
        } else {
            Ok(Self(value))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl TryFrom<String> for Text {
    type Error = EmptyText;
    fn try_from(value: String) -> Result<Self, EmptyText> {
        Self::new(value)
    }
}

impl TryFrom<&str> for Text {
    type Error = EmptyText;
    fn try_from(value: &str) -> Result<Self, EmptyText> {
        Self::new(value)
    }
}

impl From<Text> for String {
    fn from(value: Text) -> Self {
        value.0
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Text::new(value).map_err(de::Error::custom)
    }
}

impl JsonSchema for Text {
    fn schema_name() -> Cow<'static, str> {
        "Text".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "pattern": "\\S"
        })
    }
}

/// An RFC 3339 instant in UTC, written with millisecond precision and a `Z`
/// (`2026-02-26T00:00:00.000Z`), the form the seed's clients produce and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The current instant at millisecond precision, the precision the
    /// contract writes, so a timestamp compares equal to itself after a trip
    /// through `run.json`.
    pub fn now() -> Self {
        use chrono::SubsecRound;
        Self(Utc::now().trunc_subsecs(3))
    }

    pub fn from_datetime(value: DateTime<Utc>) -> Self {
        Self(value)
    }

    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// Parses an RFC 3339 string whose offset is zero (`Z` or `+00:00`).
    pub fn parse(value: &str) -> Result<Self, TimestampError> {
        let parsed = DateTime::parse_from_rfc3339(value).map_err(|_| TimestampError::Syntax)?;
        if parsed.offset().local_minus_utc() != 0 {
            return Err(TimestampError::NotUtc);
        }
        Ok(Self(parsed.with_timezone(&Utc)))
    }
}

/// Why a string was refused as a [`Timestamp`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("must be an RFC 3339 timestamp such as 2026-02-26T00:00:00.000Z")]
    Syntax,
    #[error("must be in UTC (end with Z)")]
    NotUtc,
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Timestamp::parse(&value).map_err(de::Error::custom)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "pattern": "(Z|z|[+-]00:00)$"
        })
    }
}

/// A list that must hold at least one element ("non-empty list" in the contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct NonEmpty<T>(Vec<T>);

/// Why a list was refused as [`NonEmpty`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a non-empty list")]
pub struct EmptyList;

impl<T> NonEmpty<T> {
    pub fn new(items: Vec<T>) -> Result<Self, EmptyList> {
        if items.is_empty() {
            Err(EmptyList)
        } else {
            Ok(Self(items))
        }
    }

    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> Deref for NonEmpty<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<'a, T> IntoIterator for &'a NonEmpty<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NonEmpty<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<T>::deserialize(deserializer)?;
        NonEmpty::new(items).map_err(de::Error::custom)
    }
}

impl<T: JsonSchema> JsonSchema for NonEmpty<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("NonEmpty_{}", T::schema_name()).into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "items": generator.subschema_for::<T>(),
            "minItems": 1
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rejects_blank_strings_and_keeps_the_original() {
        assert!(Text::new("  \n\t").is_err());
        assert_eq!(Text::new(" a ").unwrap().as_str(), " a ");
        let err = serde_json::from_str::<Text>("\"   \"").unwrap_err();
        assert!(err.to_string().contains("non-empty"), "{err}");
    }

    #[test]
    fn now_survives_a_round_trip_through_json() {
        let now = Timestamp::now();
        let back: Timestamp = serde_json::from_str(&serde_json::to_string(&now).unwrap()).unwrap();
        assert_eq!(back, now);
    }

    #[test]
    fn timestamps_round_trip_in_the_contract_form() {
        let ts: Timestamp = serde_json::from_str("\"2026-02-26T00:00:00Z\"").unwrap();
        assert_eq!(
            serde_json::to_string(&ts).unwrap(),
            "\"2026-02-26T00:00:00.000Z\""
        );
        assert!(Timestamp::parse("2026-02-26T00:00:00+00:00").is_ok());
        assert_eq!(
            Timestamp::parse("2026-02-26T01:00:00+01:00"),
            Err(TimestampError::NotUtc)
        );
        assert_eq!(Timestamp::parse("yesterday"), Err(TimestampError::Syntax));
    }

    #[test]
    fn non_empty_lists_refuse_empty_input() {
        assert!(serde_json::from_str::<NonEmpty<u8>>("[]").is_err());
        assert_eq!(
            serde_json::from_str::<NonEmpty<u8>>("[1]").unwrap().len(),
            1
        );
    }
}
