//! Running Graphviz's `dot` to lay a DOT picture out as SVG or PNG: the
//! binary `HYBRIDK8S_DOT` names, else `dot` on `PATH`; DOT on stdin, the
//! image on stdout.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The variable naming Graphviz's `dot` binary.
pub const DOT_ENV: &str = "HYBRIDK8S_DOT";

/// What Graphviz draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    Svg,
    Png,
}

impl Image {
    /// The `-T` format and the file extension.
    pub fn name(self) -> &'static str {
        match self {
            Image::Svg => "svg",
            Image::Png => "png",
        }
    }
}

/// Why there is no image.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No Graphviz: `HYBRIDK8S_DOT` unset and no `dot` on `PATH`, or the
    /// named binary missing.
    Missing(String),
    /// `dot` ran and failed.
    Failed(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Missing(why) => write!(
                f,
                "{why}: drawing SVG or PNG needs Graphviz's `dot`. Install Graphviz (Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install graphviz`) or set {DOT_ENV} to the `dot` binary; `--to dot` prints the DOT without it"
            ),
            Error::Failed(why) => write!(f, "Graphviz failed: {why}"),
        }
    }
}

impl std::error::Error for Error {}

/// The `dot` binary to run.
pub fn binary() -> Result<PathBuf, Error> {
    if let Some(p) = std::env::var_os(DOT_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(Error::Missing(format!("{DOT_ENV}={} is not a file", p.display())))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("dot"))
        .find(|p| p.is_file())
        .ok_or_else(|| Error::Missing("no `dot` on PATH".to_string()))
}

/// Lays `dot_text` out as an image.
pub fn render(dot_text: &str, image: Image) -> Result<Vec<u8>, Error> {
    let bin = binary()?;
    let mut child = Command::new(&bin)
        .arg(format!("-T{}", image.name()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Missing(format!("running {}: {e}", bin.display())))?;
    // Written from a thread: `dot` may fill its stdout before reading all of stdin.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = dot_text.as_bytes().to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child
        .wait_with_output()
        .map_err(|e| Error::Failed(format!("waiting for {}: {e}", bin.display())))?;
    let written = writer.join().unwrap_or(Ok(()));
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if !out.status.success() {
        return Err(Error::Failed(format!(
            "{} -T{} exited with {}: {stderr}",
            bin.display(),
            image.name(),
            out.status
        )));
    }
    if let Err(e) = written {
        return Err(Error::Failed(format!("writing to {}: {e}", bin.display())));
    }
    if out.stdout.is_empty() {
        return Err(Error::Failed(format!("{} wrote no image: {stderr}", bin.display())));
    }
    Ok(out.stdout)
}
