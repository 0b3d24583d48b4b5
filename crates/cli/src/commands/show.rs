//! How public output bytes are shown: in full when short, otherwise a prefix and the length (a
//! guest may commit hundreds of MiB; `run --output FILE` and `verify --output FILE` write the
//! bytes themselves).

/// Bytes of public output shown in hex; longer outputs show these first bytes.
pub const SHOWN_OUTPUT_BYTES: usize = 1024;

/// The text line for a public output.
pub fn output_line(bytes: &[u8]) -> String {
    match truncated(bytes) {
        Some(prefix) => format!(
            "public output ({} bytes, the first {SHOWN_OUTPUT_BYTES} shown): {}...",
            bytes.len(),
            hex::encode(prefix)
        ),
        None => format!(
            "public output ({} bytes): {}",
            bytes.len(),
            hex::encode(bytes)
        ),
    }
}

/// Sets `public_output_hex` (the bytes shown) and `public_output_len` in a JSON report, and
/// `public_output_truncated: true` when only a prefix is shown.
pub fn output_json(report: &mut serde_json::Value, bytes: &[u8]) {
    let shown = truncated(bytes).unwrap_or(bytes);
    report["public_output_hex"] = hex::encode(shown).into();
    report["public_output_len"] = bytes.len().into();
    if shown.len() < bytes.len() {
        report["public_output_truncated"] = true.into();
    }
}

fn truncated(bytes: &[u8]) -> Option<&[u8]> {
    (bytes.len() > SHOWN_OUTPUT_BYTES).then(|| &bytes[..SHOWN_OUTPUT_BYTES])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_outputs_are_shown_whole_long_ones_by_prefix_and_length() {
        assert_eq!(output_line(&[1, 2]), "public output (2 bytes): 0102");
        let long = vec![0xab; 5000];
        let line = output_line(&long);
        assert!(line.starts_with("public output (5000 bytes, the first 1024 shown): abab"));
        assert_eq!(line.matches("ab").count(), SHOWN_OUTPUT_BYTES);

        let mut report = serde_json::json!({});
        output_json(&mut report, &long);
        assert_eq!(report["public_output_len"], 5000);
        assert_eq!(report["public_output_truncated"], true);
        assert_eq!(report["public_output_hex"].as_str().unwrap().len(), 2048);
        let mut report = serde_json::json!({});
        output_json(&mut report, &[7]);
        assert_eq!(report["public_output_hex"], "07");
        assert!(report.get("public_output_truncated").is_none());
    }
}
