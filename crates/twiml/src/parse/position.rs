//! Byte offsets to 1-based line:column, computed only for the diagnostics produced.

use super::cx::RawDiag;
use crate::Diagnostic;

/// Sorts diagnostics by position (stable, so same-place diagnostics keep their order) and
/// converts offsets in `body` to line and column (columns count characters).
pub(crate) fn locate(body: &[u8], mut diags: Vec<RawDiag>) -> Vec<Diagnostic> {
    if diags.is_empty() {
        return Vec::new();
    }
    diags.sort_by_key(|d| d.pos);
    let mut out = Vec::with_capacity(diags.len());
    let (mut line, mut line_start, mut scanned) = (1u32, 0usize, 0usize);
    for d in diags {
        let pos = d.pos.min(body.len());
        for (i, &b) in body[scanned..pos].iter().enumerate() {
            if b == b'\n' {
                line = line.saturating_add(1);
                line_start = scanned + i + 1;
            }
        }
        scanned = scanned.max(pos);
        let column = body[line_start..pos]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count();
        out.push(Diagnostic {
            code: d.code,
            level: d.level,
            message: d.message,
            line,
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        });
    }
    out
}
