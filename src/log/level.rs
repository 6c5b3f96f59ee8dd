//! Levels, and the thresholds the environment sets: `TF_LOG_PROVIDER` /
//! `TF_LOG` for the provider (as Terraform reads them), `RUST_LOG` for the CLI.

/// A log level, most severe first (`--log-level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
#[repr(u8)]
pub enum Level {
    Error = 1,
    Warn,
    Info,
    Debug,
    Trace,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }

    /// `trace`, `debug`, `info`, `warn` (or `warning`), `error`, any case.
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "trace" => Level::Trace,
            "debug" => Level::Debug,
            "info" => Level::Info,
            "warn" | "warning" => Level::Warn,
            "error" => Level::Error,
            _ => return None,
        })
    }
}

/// The provider's threshold from `TF_LOG_PROVIDER`, else `TF_LOG` (the
/// first that is set and not empty); `None` is off. As Terraform reads
/// them: a level name in any case, `off`, and anything else (`json`)
/// meaning trace. Neither set: info (Terraform, whose log is off then,
/// drops the provider's lines anyway; debug and trace are never formatted).
pub fn from_tf_log(provider: Option<&str>, all: Option<&str>) -> Option<Level> {
    match set(provider).or(set(all)) {
        None => Some(Level::Info),
        Some(v) if v.eq_ignore_ascii_case("off") => None,
        Some(v) => Some(Level::parse(v).unwrap_or(Level::Trace)),
    }
}

/// The CLI's threshold from a `RUST_LOG` spec (`debug`,
/// `hybridk8s=trace,hyper=info`): the most verbose of the directives that
/// name no target or a `hybridk8s` one (a target alone means trace, `off`
/// nothing). `Ok(None)`: no directive applies (the default stands).
/// `Err`: a directive that does not parse, for a warning.
pub fn from_rust_log(spec: &str) -> Result<Option<Option<Level>>, String> {
    let mut out: Option<Option<Level>> = None;
    for d in spec.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        // env_logger's `/regex` filter applies to messages: not ours.
        let d = d.split('/').next().unwrap_or_default();
        let (target, level) = match d.split_once('=') {
            Some((t, l)) => (t.trim(), Some(l.trim())),
            None if is_level(d) => ("", Some(d)),
            None => (d, None),
        };
        let ours = target.is_empty()
            || target == "hybridk8s"
            || target.starts_with("hybridk8s::")
            || target.starts_with("hybridk8s.");
        if !ours {
            continue;
        }
        let level = match level {
            None => Some(Level::Trace),
            Some(l) if l.eq_ignore_ascii_case("off") => None,
            Some(l) => Some(Level::parse(l).ok_or_else(|| format!("RUST_LOG: `{d}` names no level; ignored"))?),
        };
        out = Some(out.map_or(level, |o| o.max(level)));
    }
    Ok(out)
}

fn set(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

fn is_level(s: &str) -> bool {
    s.eq_ignore_ascii_case("off") || Level::parse(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tf_log_reads_as_terraform_reads_it() {
        assert_eq!(from_tf_log(None, None), Some(Level::Info));
        assert_eq!(from_tf_log(None, Some("")), Some(Level::Info));
        assert_eq!(from_tf_log(None, Some("DEBUG")), Some(Level::Debug));
        assert_eq!(from_tf_log(None, Some("json")), Some(Level::Trace));
        assert_eq!(from_tf_log(None, Some("1")), Some(Level::Trace));
        assert_eq!(from_tf_log(None, Some("Off")), None);
        assert_eq!(from_tf_log(Some("error"), Some("trace")), Some(Level::Error));
        assert_eq!(from_tf_log(Some("off"), Some("trace")), None);
        assert_eq!(from_tf_log(Some(""), Some("warn")), Some(Level::Warn));
    }

    #[test]
    fn rust_log_takes_what_names_hybridk8s() {
        assert_eq!(from_rust_log("debug"), Ok(Some(Some(Level::Debug))));
        assert_eq!(from_rust_log("TRACE"), Ok(Some(Some(Level::Trace))));
        assert_eq!(from_rust_log("hyper=trace,hybridk8s=info"), Ok(Some(Some(Level::Info))));
        assert_eq!(
            from_rust_log("hybridk8s::backend=trace,warn"),
            Ok(Some(Some(Level::Trace)))
        );
        assert_eq!(from_rust_log("hybridk8s"), Ok(Some(Some(Level::Trace))));
        assert_eq!(from_rust_log("off"), Ok(Some(None)));
        assert_eq!(from_rust_log("hyper=trace"), Ok(None));
        assert_eq!(from_rust_log(""), Ok(None));
        assert!(from_rust_log("hybridk8s=loud").unwrap_err().contains("hybridk8s=loud"));
    }
}
