/// The page to return to after sign-in (`/login?next=/path`), if `next` is a path of this
/// site. Anything that could leave the site (another host, `//host`, `/\host`, a scheme,
/// control characters) is ignored.
pub fn local_path(next: Option<&str>) -> Option<&str> {
    let next = next?.trim();
    let mut chars = next.chars();
    let first = chars.next()?;
    let second = chars.next();
    let leaves_site = first != '/'
        || matches!(second, Some('/') | Some('\\'))
        || next.chars().any(|c| c.is_control() || c == '\\');
    (!leaves_site).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn keeps_paths_of_this_site() {
        assert_eq!(local_path(Some("/account?tab=1")), Some("/account?tab=1"));
        assert_eq!(local_path(Some("/")), Some("/"));
    }

    #[test]
    fn refuses_anything_that_leaves() {
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "evil.example/path",
            "/ok\n/evil",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(local_path(None), None);
    }
}
