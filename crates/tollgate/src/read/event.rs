//! One telemetry event and its tolerant field types: a string that takes any
//! scalar, numbers written as numbers or strings, flags as booleans or
//! `"true"`. Both line readers fill them: serde ([`super::telemetry`]) and
//! the flat fast path ([`super::flat`]).

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// A string field that accepts any JSON scalar (numbers become text) and
/// ignores arrays and objects instead of rejecting the line.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// A value, trimmed once here (it is read many times); blank is absent.
    pub fn of(s: Cow<'a, str>) -> Text<'a> {
        match s {
            Cow::Borrowed(b) => Text::borrowed(b),
            Cow::Owned(o) if o.trim().len() == o.len() => {
                Text((!o.is_empty()).then_some(Cow::Owned(o)))
            }
            Cow::Owned(o) => Text::borrowed(o.trim()).into_owned(),
        }
    }

    /// [`Text::of`] a borrowed value, built in place (the hot path).
    #[inline(always)]
    pub fn borrowed(s: &'a str) -> Text<'a> {
        // Visible ASCII at both ends: nothing to trim (the common case).
        let visible = |b: Option<&u8>| b.is_some_and(u8::is_ascii_graphic);
        let t = if visible(s.as_bytes().first()) && visible(s.as_bytes().last()) {
            s
        } else {
            s.trim()
        };
        Text((!t.is_empty()).then_some(Cow::Borrowed(t)))
    }

    fn into_owned(self) -> Text<'static> {
        Text(self.0.map(|c| Cow::Owned(c.into_owned())))
    }

    /// The trimmed value, or `None` when absent or blank.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(Text::of(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Text::of(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
                Ok(Text::of(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
                Ok(Text::of(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Self::Value, E> {
                Ok(Text::of(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Self::Value, E> {
                Ok(Text::of(Cow::Borrowed(if v { "True" } else { "False" })))
            }
            fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A number field: a JSON number or a numeric string; anything else is absent.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Num(pub Option<f64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Num, E> {
                Ok(Num(Some(v).filter(|x| x.is_finite())))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Num, E> {
                Ok(Num(v.trim().parse::<f64>().ok().filter(|x| x.is_finite())))
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_unit<E>(self) -> std::result::Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> std::result::Result<Num, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Num(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> std::result::Result<Num, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Num(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A boolean field: `true`/`false`, `"True"`/`"False"`, or 1/0.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Flag(pub Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Flag::of(&Text::deserialize(d)?))
    }
}

impl Flag {
    /// A flag from its text: `true`/`false` in any case, or 1/0.
    pub fn of(t: &Text) -> Flag {
        Flag(t.get().and_then(|s| {
            if s.eq_ignore_ascii_case("true") || s == "1" {
                Some(true)
            } else if s.eq_ignore_ascii_case("false") || s == "0" {
                Some(false)
            } else {
                None
            }
        }))
    }
}

/// One top-level value of an event, as a gate reads it: borrowed from the
/// line where it can be.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    /// A JSON number, as written (or as serde prints it).
    Number(Cow<'a, str>),
    Bool(bool),
    Null,
    /// An array or object.
    Other,
}

impl<'a> Scalar<'a> {
    /// The value as serde gives it, borrowing its strings.
    pub fn from_value(v: &'a serde_json::Value) -> Scalar<'a> {
        use serde_json::Value;
        match v {
            Value::String(s) => Scalar::Str(Cow::Borrowed(s)),
            Value::Number(n) => Scalar::Number(Cow::Owned(n.to_string())),
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Null => Scalar::Null,
            Value::Array(_) | Value::Object(_) => Scalar::Other,
        }
    }

    /// A finite number, from a JSON number or a numeric string.
    pub fn number(&self) -> Option<f64> {
        match self {
            Scalar::Str(s) => s.trim().parse::<f64>().ok(),
            Scalar::Number(n) => n.parse::<f64>().ok(),
            _ => None,
        }
        .filter(|x| x.is_finite())
    }
}

/// The fields of a telemetry event that tollgate reads. Every field is
/// optional; unknown fields are skipped.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Event<'a> {
    #[serde(borrow)]
    pub event_name: Text<'a>,
    #[serde(borrow)]
    pub timestamp: Text<'a>,
    #[serde(borrow)]
    pub site: Text<'a>,
    #[serde(borrow)]
    pub hostname: Text<'a>,
    #[serde(borrow)]
    pub status: Text<'a>,
    #[serde(borrow)]
    pub action: Text<'a>,
    #[serde(borrow)]
    pub operation: Text<'a>,
    #[serde(borrow)]
    pub site_cache_fetch_status: Text<'a>,
    #[serde(borrow)]
    pub site_cache_provider: Text<'a>,
    #[serde(borrow)]
    pub site_cache_provider_reason: Text<'a>,
    pub success: Flag,
    pub duration_seconds: Num,
    pub latency_ms: Num,
    pub rows: Num,
    pub deleted_rows: Num,
    pub site_cache_fetch_duration_ms: Num,
    pub usage_numerator: Num,
    pub usage_denominator: Num,
    pub duration_minutes: Num,
    pub duration_ms: Num,
    pub total_count: Num,
    pub added_count: Num,
    pub removed_count: Num,
    pub changed_count: Num,
    pub unchanged_count: Num,
    pub queue_build_delay_ms: Num,
    pub queue_build_duration_ms: Num,
    pub queue_delay_ms: Num,
    pub queue_duration_ms: Num,
}

impl Event<'_> {
    /// The trimmed event name.
    pub fn name(&self) -> &str {
        self.event_name.get().unwrap_or("")
    }
}
