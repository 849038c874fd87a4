//! Glob patterns as policies write them: `*` and `?` within one path
//! segment, `/` between segments, matched case-insensitively (StateTrace's
//! artifacts come from Windows).

/// Whether `path` (segments separated by `/`) matches `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    pat.len() == segs.len() && pat.iter().zip(&segs).all(|(p, s)| segment(p, s))
}

/// Whether `path` matches any of `patterns`.
pub fn matches_any(patterns: &[String], path: &str) -> bool {
    patterns.iter().any(|p| matches(p, path))
}

fn segment(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let n: Vec<char> = name.chars().map(|c| c.to_ascii_lowercase()).collect();
    // Iterative wildcard match with single-star backtracking: O(len^2) worst case.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches(
            "WarmRunDiffHotspots*.csv",
            "warmrundiffhotspots-2025.CSV"
        ));
        assert!(matches("????-??-??.json", "2025-12-23.json"));
        assert!(!matches("????-??-??.json", "20251219.json"));
        assert!(matches("*session*.md", "2025-12-23_session-0013.md"));
        assert!(matches("DocSync/*.json", "DocSync/DocSyncChecklist.json"));
        assert!(!matches("*.json", "DocSync/DocSyncChecklist.json"));
        assert!(matches("*", ""));
        assert!(!matches("a*b", "acbx"));
        assert!(matches("a*b*c", "aXbYbZc"));
    }
}
