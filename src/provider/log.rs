//! hclog-style JSON lines on stderr, which Terraform forwards to its own log
//! keeping the level (`TF_LOG=debug` shows them).

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn error(msg: &str) {
    line("error", msg);
}

pub fn warn(msg: &str) {
    line("warn", msg);
}

pub fn info(msg: &str) {
    line("info", msg);
}

pub fn debug(msg: &str) {
    line("debug", msg);
}

fn line(level: &str, msg: &str) {
    let j = serde_json::json!({
        "@level": level,
        "@message": msg,
        "@module": "hybridk8s",
        "@timestamp": timestamp(SystemTime::now()),
    });
    let _ = writeln!(std::io::stderr().lock(), "{j}");
}

/// RFC 3339 in UTC with microseconds, as hclog writes it.
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (year, month, day, hour, minute, second) = crate::clock::civil(d.as_secs() as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:06}Z",
        d.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc3339() {
        let t = UNIX_EPOCH + Duration::from_secs(1_628_164_800) + Duration::from_micros(42);
        assert_eq!(timestamp(t), "2021-08-05T12:00:00.000042Z");
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000Z"
        );
    }
}
