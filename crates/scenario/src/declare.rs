//! One declaration per parameter: its name, type, range, default and doc line in one place.
//!
//! `parameters!` declares a struct that serde reads straight from the scenario file (unknown
//! fields denied) and that the model reads after validation: there is no raw mirror to keep in
//! step. Each numeric field written as `name: f64 => "doc" [min, max]` is a *parameter*: the
//! macro lists it in the struct's `PARAMS`, and `params::GROUPS` places each struct's `PARAMS`
//! at a path in the document (`beliefs`, `actors.*.watches.*`). From there validation checks
//! ranges, `describe` prints the doc line, sweeps and variants find the range, and declared
//! defaults are written into the document before anything reads it. Fields without `=>` are
//! ordinary fields (names, references, nested tables) and carry their own serde attributes.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Visitor};

use crate::basic::OrderedMap;

/// The declared domain of a numeric field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Domain {
    pub min: f64,
    pub max: f64,
    /// Whole numbers only (days, counts).
    pub integer: bool,
}

/// One declared parameter of a group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Param {
    /// The field's name; for a table of numbers (`prior`), the table's name.
    pub name: &'static str,
    /// One line: what it means, in which units.
    pub doc: &'static str,
    pub domain: Domain,
    /// Written into the document when the file leaves the field out. Scientific parameters
    /// have none (a missing value is an error); a default is for switches whose absence has
    /// one obvious meaning.
    pub default: Option<f64>,
    /// A table of numbers keyed by name (`prior = { reliable = 0.1, ... }`): the domain holds
    /// for each entry.
    pub entries: bool,
}

/// The Rust types a parameter may have, and how each is read from the file.
pub trait Number: Sized {
    const INTEGER: bool;
    const ENTRIES: bool = false;
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

impl Number for f64 {
    const INTEGER: bool = false;
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        f64::deserialize(d)
    }
}

impl Number for u32 {
    const INTEGER: bool = true;
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let x = whole(d)?;
        // The domain check reports a value outside its range with the range; here a value
        // that does not even fit is clamped to a sentinel the domain check then refuses.
        Ok(u32::try_from(x).unwrap_or(u32::MAX))
    }
}

impl Number for Option<f64> {
    const INTEGER: bool = false;
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        f64::deserialize(d).map(Some)
    }
}

impl Number for Option<u32> {
    const INTEGER: bool = true;
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        u32::read(d).map(Some)
    }
}

impl Number for OrderedMap<f64> {
    const INTEGER: bool = false;
    const ENTRIES: bool = true;
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<OrderedMap<f64>, D::Error> {
        OrderedMap::deserialize(d)
    }
}

/// serde's `deserialize_with` for every declared parameter.
pub fn number<'de, D: Deserializer<'de>, T: Number>(d: D) -> Result<T, D::Error> {
    T::read(d)
}

/// A whole number, written as an integer or as a float with no fractional part (`365.0`), so
/// files and parameter paths (which carry floats) agree.
pub fn whole<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct WholeVisitor;
    impl Visitor<'_> for WholeVisitor {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom("integer out of range"))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                Ok(v as i64)
            } else {
                Err(E::invalid_type(serde::de::Unexpected::Float(v), &self))
            }
        }
    }
    d.deserialize_any(WholeVisitor)
}

/// Declares a struct read from the scenario file, with its parameters listed in `PARAMS`.
///
/// ```ignore
/// parameters! {
///     /// How observers weigh evidence.
///     pub struct Beliefs {
///         pub statement_weight: f64 => "weight of a statement against an action" [0.0, 1.0],
///         pub made_up: f64 => "an example with a default" [0.0, 1.0] default 0.5,
///         /// An ordinary field.
///         pub note: String,
///     }
/// }
/// ```
macro_rules! parameters {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty
                $(=> $doc:literal [$min:expr, $max:expr] $(default $default:expr)?)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                $(
                    #[doc = $doc]
                    #[serde(deserialize_with = "crate::declare::number")]
                )?
                pub $field: $ty,
            )*
        }

        impl $name {
            /// The parameters among this struct's fields, in declaration order.
            pub const PARAMS: &'static [$crate::declare::Param] = &[$($(
                $crate::declare::Param {
                    name: stringify!($field),
                    doc: $doc,
                    domain: $crate::declare::Domain {
                        min: $min as f64,
                        max: $max as f64,
                        integer: <$ty as $crate::declare::Number>::INTEGER,
                    },
                    default: {
                        #[allow(unused_mut, unused_assignments)]
                        let mut d: Option<f64> = None;
                        $(d = Some($default as f64);)?
                        d
                    },
                    entries: <$ty as $crate::declare::Number>::ENTRIES,
                },
            )?)*];

            /// Every field's name, parameter or not (for "this field belongs elsewhere").
            #[allow(dead_code)]
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

/// An actor named by its code in the file. Validation checks the code and fills in the
/// actor's index; after that `index` is always a valid position in `Scenario::actors`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(from = "String")]
pub struct ActorRef {
    pub code: String,
    pub index: usize,
}

impl From<String> for ActorRef {
    fn from(code: String) -> ActorRef {
        ActorRef { code, index: usize::MAX }
    }
}
