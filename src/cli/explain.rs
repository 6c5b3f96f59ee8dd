//! `hybridk8s explain HK201` (or `explain subnet-too-small`): a rule's page,
//! and the pages of `docs/rules/` rendered from the catalogue rows. A page
//! shows what `check` really prints for the rule's examples: the binary is
//! run on them, saved in an empty directory.

use crate::graph::catalogue::{self, Family, Rule};
use std::path::Path;
use std::process::ExitCode;

/// The file name a rule's bad example is checked under (as a user would
/// save it: `hybridk8s check bad.hk`).
pub const BAD_FILE: &str = "bad.hk";
/// The file name of the good example.
pub const GOOD_FILE: &str = "good.hk";

/// A rule's example as files: the program (everything before the first
/// `// file: NAME` line), the modules after such lines, and the `--var`s of
/// a `// args: --var NAME=VALUE …` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// `(path, text)`, the program first.
    pub files: Vec<(String, String)>,
    /// The command-line arguments after the file name.
    pub args: Vec<String>,
}

impl Example {
    pub fn parse(name: &str, src: &str) -> Example {
        let mut files = vec![(name.to_string(), String::new())];
        let mut args = Vec::new();
        for line in src.split_inclusive('\n') {
            if let Some(f) = line.trim_end().strip_prefix("// file: ") {
                files.push((f.trim_start_matches("./").to_string(), String::new()));
                continue;
            }
            if let Some(a) = line.trim_end().strip_prefix("// args: ") {
                args.extend(a.split_whitespace().map(str::to_string));
            }
            if let Some((_, text)) = files.last_mut() {
                text.push_str(line);
            }
        }
        for (_, text) in &mut files {
            while text.ends_with("\n\n") {
                text.pop();
            }
        }
        Example { files, args }
    }
}

/// Where the examples are checked, as pages show it: the real directory
/// is a fresh temporary one.
pub const SHOWN_DIR: &str = "~/project";

/// What `hybridk8s check <name> <args>` prints on stderr for the example
/// `src` saved as `name` (and its modules) in an empty working directory:
/// `exe` (this very binary) run on it, without colors or environment, the
/// directory shown as [`SHOWN_DIR`].
pub fn check_output(exe: &Path, name: &str, src: &str) -> std::io::Result<String> {
    let ex = Example::parse(name, src);
    let dir = tempfile::tempdir()?;
    let work = dir.path().join("project");
    for (path, text) in &ex.files {
        let p = work.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, text)?;
    }
    let out = std::process::Command::new(exe)
        .arg("check")
        .arg(name)
        .args(&ex.args)
        .current_dir(&work)
        .env_clear()
        .env("NO_COLOR", "1")
        .output()?;
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    let real = std::fs::canonicalize(&work)?;
    Ok(text.replace(&real.display().to_string(), SHOWN_DIR))
}

/// The longest program line a page shows whole.
const MAX_SHOWN_LINE: usize = 160;

/// A program as a page shows it: lines longer than [`MAX_SHOWN_LINE`] cut.
fn shown(src: &str) -> String {
    src.trim_end()
        .lines()
        .map(|l| match crate::graph::diag::cut(l, MAX_SHOWN_LINE) {
            (kept, 0) => kept.to_string(),
            (kept, more) => format!("{kept}… ({more} more characters)"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A rule's page: title, summary, why, the bad example with what `check`
/// reports, the good example with what it reports (`exe`: the hybridk8s
/// binary that checks them).
pub fn page(exe: &Path, r: &Rule) -> std::io::Result<String> {
    let mut out = format!("# {} {}\n\n", r.id, r.code);
    out.push_str(&format!(
        "{} · code `{}` · [all rules](README.md)\n\n",
        r.family.title(),
        r.code
    ));
    out.push_str(&format!("{}\n\n## Why\n\n{}\n", r.summary, r.why.trim_end()));
    if r.has_examples() && r.bad.is_empty() {
        out.push_str(
            "\nNo program makes `hybridk8s check` report it (the DSL's own code comes first): it is\nreported for what Terraform or the library hands the graph.\n",
        );
        return Ok(out);
    }
    if !r.has_examples() {
        out.push_str(
            "\nReported while a command or the provider runs (backend, state, protocol), not by\n`hybridk8s check`: it has no example program.\n",
        );
        return Ok(out);
    }
    for (title, file, src) in [("Bad", BAD_FILE, r.bad), ("Good", GOOD_FILE, r.good)] {
        let ex = Example::parse(file, src);
        let args: String = ex.args.iter().map(|a| format!(" {a}")).collect();
        out.push_str(&format!("\n## {title}\n\n```hk\n{}\n```\n\n", shown(src)));
        out.push_str(&format!(
            "```text\n$ hybridk8s check {file}{args}\n{}```\n",
            check_output(exe, file, src)?
        ));
    }
    Ok(out)
}

/// `docs/rules/README.md`: every rule by family, with its ID, code, summary
/// and page.
pub fn index() -> String {
    let mut out = String::from(
        "# Rules\n\nEvery diagnostic hybridk8s reports has a stable ID (`HKnnn`), shown with its code:\n\
         `HK201 subnet-too-small` in `check`'s output, `\"id\"` in `check --json`, the `ruleId` of\n\
         `check --format sarif`, and the start of a Terraform diagnostic's summary (`HK201: …`).\n\
         `hybridk8s explain HK201` prints a rule's page. An ID is never reused for another code.\n\n\
         These pages are generated from the catalogue (`src/graph/catalogue/`):\n\
         `UPDATE_DOCS=1 cargo test --test catalogue`.\n",
    );
    let mut families: Vec<Family> = catalogue::all().map(|r| r.family).collect();
    families.sort_unstable();
    families.dedup();
    for f in families {
        out.push_str(&format!(
            "\n## {}\n\n| ID | code | summary |\n|---|---|---|\n",
            f.title()
        ));
        let mut rows: Vec<&Rule> = catalogue::all().filter(|r| r.family == f).collect();
        rows.sort_by_key(|r| r.id);
        for r in rows {
            out.push_str(&format!(
                "| [{}]({}.md) | `{}` | {} |\n",
                r.id,
                r.id,
                r.code,
                r.summary.replace('|', "\\|")
            ));
        }
    }
    out
}

/// Every page of `docs/rules/`, as (path under `docs/`, text).
pub fn pages(exe: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut out = vec![("rules/README.md".to_string(), index())];
    for r in catalogue::all() {
        out.push((format!("rules/{}.md", r.id), page(exe, r)?));
    }
    Ok(out)
}

/// The rule an `explain` argument names: an ID (any case) or a code.
pub fn find(query: &str) -> Option<&'static Rule> {
    let q = query.trim();
    catalogue::by_id(q).or_else(|| catalogue::by_code(q))
}

/// `hybridk8s explain RULE`: the page on stdout; an unknown rule is an
/// error that suggests the closest codes.
pub fn explain(query: &str) -> anyhow::Result<ExitCode> {
    match find(query) {
        Some(r) => {
            print!("{}", page(&std::env::current_exe()?, r)?);
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let mut near: Vec<(usize, &Rule)> = catalogue::all()
                .map(|r| (strsim::levenshtein(query, r.code), r))
                .filter(|(d, _)| *d <= 3)
                .collect();
            near.sort_by_key(|(d, r)| (*d, r.id));
            let hint = match near.first() {
                Some((_, r)) => format!("; did you mean {} {}?", r.id, r.code),
                None => String::new(),
            };
            eprintln!(
                "Error: no rule `{query}`{hint} (an ID such as HK201 or a code such as subnet-too-small; docs/rules/README.md lists them)"
            );
            Ok(ExitCode::from(1))
        }
    }
}
