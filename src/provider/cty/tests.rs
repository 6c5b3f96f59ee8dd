use super::*;
use crate::graph::kinds;
use crate::graph::Kind;
use std::collections::BTreeMap;

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

fn simple() -> CtyType {
    CtyType::Object(vec![
        ("n".into(), CtyType::Number),
        ("s".into(), CtyType::String),
        ("l".into(), CtyType::List(Box::new(CtyType::String))),
    ])
}

#[test]
fn every_extension_form_is_unknown() {
    let forms: [&[u8]; 8] = [
        &[0xd4, 0, 0],
        &[0xd5, 12, 0, 0],
        &[0xd6, 12, 0, 0, 0, 0],
        &[0xd7, 12, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0xd8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0xc7, 3, 12, 0x81, 0x01, 0xc3],
        &[0xc8, 0, 1, 12, 0],
        &[0xc9, 0, 0, 0, 2, 12, 0xa0, 0xc0],
    ];
    for f in forms {
        assert_eq!(decode_msgpack(f, &CtyType::String), Ok(Value::Unknown), "{f:x?}");
    }
}

#[test]
fn numbers_in_every_encoding() {
    let cases: Vec<(Vec<u8>, i64)> = vec![
        (vec![0x07], 7),
        (vec![0xff], -1),
        (vec![0xcc, 200], 200),
        (vec![0xcd, 1, 0], 256),
        (vec![0xce, 0, 1, 0, 0], 65536),
        (vec![0xcf, 0, 0, 0, 1, 0, 0, 0, 0], 1 << 32),
        (vec![0xd0, 0x80], -128),
        (vec![0xd1, 0xff, 0x00], -256),
        (vec![0xd2, 0xff, 0xff, 0xff, 0xfe], -2),
        (vec![0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd], -3),
        ([vec![0xca], 30.0f32.to_bits().to_be_bytes().to_vec()].concat(), 30),
        ([vec![0xcb], 1586.0f64.to_bits().to_be_bytes().to_vec()].concat(), 1586),
        (vec![0xa2, b'4', b'2'], 42),
        (vec![0xa3, b'1', b'e', b'3'], 1000),
    ];
    for (bytes, want) in cases {
        assert_eq!(
            decode_msgpack(&bytes, &CtyType::Number),
            Ok(Value::Number(want)),
            "{bytes:x?}"
        );
    }
}

#[test]
fn fractions_and_overflow_are_errors() {
    let half = [vec![0xcb], 2.5f64.to_bits().to_be_bytes().to_vec()].concat();
    let e = decode_msgpack(&half, &CtyType::Number).unwrap_err();
    assert!(e.message.contains("whole number"), "{e}");
    assert!(decode_msgpack(&[0xcf, 0xff, 0, 0, 0, 0, 0, 0, 0], &CtyType::Number).is_err());
    assert!(decode_msgpack(&[0xa3, b'1', b'.', b'5'], &CtyType::Number).is_err());
    let ty = simple();
    let bytes = [&[0x81, 0xa1, b'n'][..], &half].concat();
    assert_eq!(decode_msgpack(&bytes, &ty).unwrap_err().path.to_string(), "n");
}

#[test]
fn objects_round_trip_with_every_key() {
    let ty = simple();
    let v = obj(&[
        ("n", Value::Number(-5)),
        ("s", Value::Unknown),
        ("l", Value::list_of_str(["a", "b"])),
    ]);
    let bytes = encode_msgpack(&v, &ty).unwrap();
    assert_eq!(decode_msgpack(&bytes, &ty), Ok(v));
    // Missing keys are written as nil and read back as null.
    let partial = obj(&[("n", Value::Number(1))]);
    let bytes = encode_msgpack(&partial, &ty).unwrap();
    assert_eq!(bytes[0], 0x83);
    let back = decode_msgpack(&bytes, &ty).unwrap();
    assert_eq!(back.as_map().unwrap().get("s"), Some(&Value::Null));
    assert_eq!(&encode_msgpack(&Value::Unknown, &ty).unwrap(), &[0xd4, 0, 0]);
}

#[test]
fn every_schema_round_trips_msgpack_and_json() {
    for kind in Kind::ALL {
        let schema = kinds::schema(kind);
        let ty = CtyType::of_schema(schema);
        let mut attrs = BTreeMap::new();
        for a in &schema.attrs {
            attrs.insert(a.name.to_string(), a.default.clone().unwrap_or(Value::Null));
        }
        let v = normalize(Value::Map(attrs), &ty);
        let m = encode_msgpack(&v, &ty).unwrap();
        assert_eq!(decode_msgpack(&m, &ty).as_ref(), Ok(&v), "{kind}");
        let j = encode_json(&v, &ty).unwrap();
        assert_eq!(decode_json(&j, &ty).as_ref(), Ok(&v), "{kind}");
        for b in &schema.blocks {
            assert_eq!(
                v.as_map().unwrap()[b.name],
                Value::List(vec![]),
                "absent blocks are empty lists"
            );
        }
    }
}

#[test]
fn json_drops_unknown_attributes_and_accepts_string_numbers() {
    let ty = simple();
    let v = decode_json(br#"{"n":"12","gone":true,"l":null}"#, &ty).unwrap();
    assert_eq!(
        v,
        obj(&[("n", Value::Number(12)), ("s", Value::Null), ("l", Value::Null)])
    );
    assert!(decode_json(br#"{"n":1.5}"#, &ty).is_err());
    assert!(encode_json(&Value::Unknown, &ty).is_err());
}

#[test]
fn dynamic_values_carry_their_type() {
    let bytes = [&[0x92, 0xa8][..], b"\"number\"", &[0x05]].concat();
    assert_eq!(decode_msgpack(&bytes, &CtyType::Dynamic), Ok(Value::Number(5)));
    let v = Value::list_of_str(["x"]);
    let bytes = encode_msgpack(&v, &CtyType::Dynamic).unwrap();
    assert_eq!(decode_msgpack(&bytes, &CtyType::Dynamic), Ok(v));
    let j = decode_json(br#"{"value":true,"type":"bool"}"#, &CtyType::Dynamic).unwrap();
    assert_eq!(j, Value::Bool(true));
}

#[test]
fn type_json_matches_terraform() {
    assert_eq!(
        CtyType::of(&crate::graph::Type::Cidr).to_json().to_string(),
        "\"string\""
    );
    let t = CtyType::of(&crate::graph::Type::map(crate::graph::Type::list(
        crate::graph::Type::Ip,
    )));
    assert_eq!(t.to_json().to_string(), r#"["map",["list","string"]]"#);
    assert_eq!(CtyType::from_json(&t.to_json()), Some(t));
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let types: Vec<CtyType> = Kind::ALL
        .into_iter()
        .map(|k| CtyType::of_schema(kinds::schema(k)))
        .chain([CtyType::Dynamic, simple()])
        .collect();
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        let schema = kinds::schema(kind);
        let mut attrs = BTreeMap::new();
        for a in &schema.attrs {
            let v = a
                .default
                .clone()
                .unwrap_or(if i % 2 == 0 { Value::Unknown } else { Value::Null });
            attrs.insert(a.name.to_string(), v);
        }
        seeds.push(encode_msgpack(&Value::Map(attrs), &types[i]).unwrap());
    }
    for round in 0..4000 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            let n = (rng.next() % 64) as usize;
            (0..n).map(|_| rng.next() as u8).collect()
        } else {
            let mut b = seeds[(rng.next() as usize) % seeds.len()].clone();
            for _ in 0..1 + rng.next() % 4 {
                let i = (rng.next() as usize) % b.len();
                match rng.next() % 3 {
                    0 => b[i] = rng.next() as u8,
                    1 => b.truncate(i),
                    _ => b.insert(i, rng.next() as u8),
                }
                if b.is_empty() {
                    break;
                }
            }
            b
        };
        for ty in &types {
            if let (Ok(v), false) = (decode_msgpack(&bytes, ty), *ty == CtyType::Dynamic) {
                let again = encode_msgpack(&v, ty).expect("a decoded value encodes");
                assert_eq!(decode_msgpack(&again, ty).as_ref(), Ok(&v), "{bytes:x?}");
            }
            let _ = decode_json(&bytes, ty);
        }
    }
    // Deep nesting in an ignored key must not recurse.
    let mut deep = vec![0x81, 0xa4, b'g', b'o', b'n', b'e'];
    deep.extend(std::iter::repeat_n(0x91, 200_000));
    deep.push(0xc0);
    assert!(decode_msgpack(&deep, &simple()).is_ok());
    // A huge declared length with no data is an error, not an allocation.
    assert!(decode_msgpack(
        &[0xdd, 0xff, 0xff, 0xff, 0xff],
        &CtyType::List(Box::new(CtyType::Number))
    )
    .is_err());
}
