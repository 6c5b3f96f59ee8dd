//! Edits of example files that do not depend on their alignment: `from`
//! matches wherever its words appear separated by any run of spaces (a
//! formatter re-aligns `=` signs when a longer attribute name appears).

/// `text` with the first loose match of `from` replaced by `to`.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    let (start, end) = find(text, from).unwrap_or_else(|| panic!("no `{from}` (spacing aside) in:\n{text}"));
    format!("{}{to}{}", &text[..start], &text[end..])
}

fn find(text: &str, from: &str) -> Option<(usize, usize)> {
    let words: Vec<&str> = from.split(' ').filter(|w| !w.is_empty()).collect();
    let first = *words.first()?;
    let mut from_at = 0;
    while let Some(i) = text[from_at..].find(first).map(|i| i + from_at) {
        let mut j = i + first.len();
        let matched = words[1..].iter().all(|w| {
            let spaces = text[j..].len() - text[j..].trim_start_matches(' ').len();
            if spaces == 0 || !text[j + spaces..].starts_with(w) {
                return false;
            }
            j += spaces + w.len();
            true
        });
        if matched {
            return Some((i, j));
        }
        from_at = i + 1;
    }
    None
}
