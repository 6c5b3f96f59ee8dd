//! cty msgpack: a hand-written reader (every marker, bounded by the input,
//! no recursion beyond the type's depth) and a writer on `rmp`.

use super::{normalize, parse_decimal, step, too_long, too_many, whole, CtyError, CtyType, MAX_ITEMS, MAX_STRING};
use crate::graph::value::{AttrPath, PathStep, Value};
use std::collections::BTreeMap;

/// One msgpack item header (containers carry their length only).
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, path: &AttrPath) -> Result<&'a [u8], CtyError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(e) => {
                let s = &self.buf[self.pos..e];
                self.pos = e;
                Ok(s)
            }
            None => Err(CtyError::new(path, "truncated msgpack value")),
        }
    }

    fn uint(&mut self, n: usize, path: &AttrPath) -> Result<u64, CtyError> {
        Ok(self
            .take(n, path)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn sint(&mut self, n: usize, path: &AttrPath) -> Result<i128, CtyError> {
        let u = self.uint(n, path)?;
        let shift = 64 - 8 * n as u32;
        Ok(i128::from(((u << shift) as i64) >> shift))
    }

    fn len(&mut self, n: usize, path: &AttrPath) -> Result<usize, CtyError> {
        Ok(self.uint(n, path)? as usize)
    }

    fn item(&mut self, path: &AttrPath) -> Result<Item<'a>, CtyError> {
        let b = self.take(1, path)?[0];
        Ok(match b {
            0x00..=0x7f => Item::Int(i128::from(b)),
            0x80..=0x8f => Item::Map(usize::from(b & 0x0f)),
            0x90..=0x9f => Item::Array(usize::from(b & 0x0f)),
            0xa0..=0xbf => Item::Str(self.take(usize::from(b & 0x1f), path)?),
            0xc0 => Item::Nil,
            0xc1 => return Err(CtyError::new(path, "invalid msgpack marker 0xc1")),
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4..=0xc6 => {
                let n = self.len(1 << (b - 0xc4), path)?;
                Item::Bin(self.take(n, path)?)
            }
            0xc7..=0xc9 => {
                let n = self.len(1 << (b - 0xc7), path)?;
                self.take(n.saturating_add(1), path)?;
                Item::Ext
            }
            0xca => Item::Float(f64::from(f32::from_bits(self.uint(4, path)? as u32))),
            0xcb => Item::Float(f64::from_bits(self.uint(8, path)?)),
            0xcc..=0xcf => Item::Int(i128::from(self.uint(1 << (b - 0xcc), path)?)),
            0xd0..=0xd3 => Item::Int(self.sint(1 << (b - 0xd0), path)?),
            0xd4..=0xd8 => {
                self.take(1 + (1 << (b - 0xd4)), path)?;
                Item::Ext
            }
            0xd9..=0xdb => {
                let n = self.len(1 << (b - 0xd9), path)?;
                Item::Str(self.take(n, path)?)
            }
            0xdc | 0xdd => Item::Array(self.len(2 << (b - 0xdc), path)?),
            0xde | 0xdf => Item::Map(self.len(2 << (b - 0xde), path)?),
            0xe0..=0xff => Item::Int(i128::from(b as i8)),
        })
    }

    /// Skips one whole value without recursion.
    fn skip(&mut self, path: &AttrPath) -> Result<(), CtyError> {
        let mut pending: usize = 1;
        while pending > 0 {
            pending -= 1;
            match self.item(path)? {
                Item::Array(n) => pending = pending.saturating_add(n),
                Item::Map(n) => pending = pending.saturating_add(n.saturating_mul(2)),
                _ => {}
            }
        }
        Ok(())
    }

    fn string(&mut self, path: &AttrPath) -> Result<Option<String>, CtyError> {
        match self.item(path)? {
            Item::Str(s) => std::str::from_utf8(s)
                .map(|s| Some(s.to_string()))
                .map_err(|_| CtyError::new(path, "string is not UTF-8")),
            Item::Nil => Ok(None),
            _ => Err(CtyError::new(path, "expected a string key")),
        }
    }

    fn value(&mut self, ty: &CtyType, path: &AttrPath) -> Result<Value, CtyError> {
        let item = self.item(path)?;
        match (&item, ty) {
            (Item::Array(n), CtyType::List(_) | CtyType::Set(_) | CtyType::Blocks(_))
            | (Item::Map(n), CtyType::Map(_))
                if *n > MAX_ITEMS =>
            {
                return Err(too_many(path, *n))
            }
            (Item::Str(s), CtyType::String | CtyType::Number) if s.len() > MAX_STRING => {
                return Err(too_long(path, s.len()))
            }
            _ => {}
        }
        match (item, ty) {
            (Item::Nil, _) => Ok(Value::Null),
            (Item::Ext, _) => Ok(Value::Unknown),
            (Item::Array(2), CtyType::Dynamic) => {
                let ty_bytes = match self.item(path)? {
                    Item::Str(b) | Item::Bin(b) => b,
                    _ => return Err(CtyError::new(path, "dynamic value without a type")),
                };
                let ty = serde_json::from_slice(ty_bytes)
                    .ok()
                    .and_then(|j| CtyType::from_json(&j))
                    .filter(|t| *t != CtyType::Dynamic)
                    .ok_or_else(|| CtyError::new(path, "dynamic value with an unreadable type"))?;
                self.value(&ty, path)
            }
            (Item::Str(s), CtyType::String) => std::str::from_utf8(s)
                .map(Value::str)
                .map_err(|_| CtyError::new(path, "string is not UTF-8")),
            (Item::Bool(b), CtyType::Bool) => Ok(Value::Bool(b)),
            (Item::Int(i), CtyType::Number) => i64::try_from(i)
                .map(Value::Number)
                .map_err(|_| CtyError::new(path, format!("{i} is out of range"))),
            (Item::Float(f), CtyType::Number) => whole(f, path),
            (Item::Str(s), CtyType::Number) => match std::str::from_utf8(s) {
                Ok(s) => parse_decimal(s, path),
                Err(_) => Err(CtyError::new(path, "number is not UTF-8")),
            },
            (Item::Array(n), CtyType::List(e) | CtyType::Set(e) | CtyType::Blocks(e)) => {
                let mut items = Vec::with_capacity(n.min(self.buf.len() - self.pos));
                for i in 0..n {
                    items.push(self.value(e, &step(path, PathStep::Index(i)))?);
                }
                Ok(Value::List(items))
            }
            (Item::Map(n), CtyType::Map(e)) => {
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = self.string(path)?.ok_or_else(|| CtyError::new(path, "null map key"))?;
                    let v = self.value(e, &step(path, PathStep::Key(k.clone())))?;
                    m.insert(k, v);
                }
                Ok(Value::Map(m))
            }
            (Item::Map(n), CtyType::Object(fields)) => {
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = self
                        .string(path)?
                        .ok_or_else(|| CtyError::new(path, "null attribute name"))?;
                    match fields.iter().find(|(name, _)| *name == k) {
                        Some((_, t)) => {
                            let v = self.value(t, &step(path, PathStep::Attr(k.clone())))?;
                            m.insert(k, v);
                        }
                        None => self.skip(path)?,
                    }
                }
                Ok(normalize(Value::Map(m), ty))
            }
            (_, t) => Err(CtyError::new(path, format!("expected {}", t.to_json()))),
        }
    }
}

/// Reads one msgpack value of type `ty`; trailing bytes are an error.
pub fn decode_msgpack(bytes: &[u8], ty: &CtyType) -> Result<Value, CtyError> {
    let root = AttrPath::root();
    let mut r = Reader { buf: bytes, pos: 0 };
    let v = r.value(ty, &root)?;
    if r.pos != bytes.len() {
        return Err(CtyError::new(&root, "trailing bytes after the msgpack value"));
    }
    Ok(normalize(v, ty))
}

/// Writes a value of type `ty` as cty msgpack.
pub fn encode_msgpack(v: &Value, ty: &CtyType) -> Result<Vec<u8>, CtyError> {
    let mut out = Vec::with_capacity(256);
    write(&mut out, v, ty, &AttrPath::root())?;
    Ok(out)
}

fn io_err(path: &AttrPath) -> impl Fn(rmp::encode::ValueWriteError) -> CtyError + '_ {
    move |_| CtyError::new(path, "msgpack write failed")
}

fn write(out: &mut Vec<u8>, v: &Value, ty: &CtyType, path: &AttrPath) -> Result<(), CtyError> {
    use rmp::encode as e;
    match (v, ty) {
        (Value::Unknown, _) => out.extend_from_slice(&[0xd4, 0, 0]),
        (Value::Null, CtyType::Blocks(_)) => {
            e::write_array_len(out, 0).map_err(io_err(path))?;
        }
        (Value::Null, _) => e::write_nil(out).map_err(|_| CtyError::new(path, "msgpack write failed"))?,
        (v, CtyType::Dynamic) => {
            let t = inferred(v);
            e::write_array_len(out, 2).map_err(io_err(path))?;
            e::write_str(out, &t.to_json().to_string()).map_err(io_err(path))?;
            write(out, v, &t, path)?;
        }
        (Value::String(s), CtyType::String) => e::write_str(out, s).map_err(io_err(path))?,
        (Value::Number(n), CtyType::String) => e::write_str(out, &n.to_string()).map_err(io_err(path))?,
        (Value::Bool(b), CtyType::String) => e::write_str(out, &b.to_string()).map_err(io_err(path))?,
        (Value::Number(n), CtyType::Number) => {
            e::write_sint(out, *n).map_err(io_err(path))?;
        }
        (Value::String(s), CtyType::Number) => match parse_decimal(s, path)? {
            Value::Number(n) => {
                e::write_sint(out, n).map_err(io_err(path))?;
            }
            _ => return Err(CtyError::new(path, "expected a number")),
        },
        (Value::Bool(b), CtyType::Bool) => e::write_bool(out, *b).map_err(|_| CtyError::new(path, "write failed"))?,
        (Value::List(items), CtyType::List(t) | CtyType::Set(t) | CtyType::Blocks(t)) => {
            e::write_array_len(out, len32(items.len(), path)?).map_err(io_err(path))?;
            for (i, item) in items.iter().enumerate() {
                write(out, item, t, &step(path, PathStep::Index(i)))?;
            }
        }
        (Value::Map(m), CtyType::Map(t)) => {
            e::write_map_len(out, len32(m.len(), path)?).map_err(io_err(path))?;
            for (k, item) in m {
                e::write_str(out, k).map_err(io_err(path))?;
                write(out, item, t, &step(path, PathStep::Key(k.clone())))?;
            }
        }
        (Value::Map(m), CtyType::Object(fields)) => {
            e::write_map_len(out, len32(fields.len(), path)?).map_err(io_err(path))?;
            for (name, t) in fields {
                e::write_str(out, name).map_err(io_err(path))?;
                let item = m.get(name).unwrap_or(&Value::Null);
                write(out, item, t, &step(path, PathStep::Attr(name.clone())))?;
            }
        }
        (v, t) => return Err(CtyError::new(path, format!("cannot write {v} as {}", t.to_json()))),
    }
    Ok(())
}

fn len32(n: usize, path: &AttrPath) -> Result<u32, CtyError> {
    u32::try_from(n).map_err(|_| CtyError::new(path, "collection too large"))
}

/// The type a value of a `dynamic` attribute is written with.
fn inferred(v: &Value) -> CtyType {
    match v {
        Value::Bool(_) => CtyType::Bool,
        Value::Number(_) => CtyType::Number,
        Value::List(items) => CtyType::List(Box::new(items.first().map_or(CtyType::String, inferred))),
        Value::Map(m) => CtyType::Object(m.iter().map(|(k, v)| (k.clone(), inferred(v))).collect()),
        _ => CtyType::String,
    }
}
