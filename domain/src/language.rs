/// Interface languages Latchkey speaks, in order of preference when nothing else is known.
pub const SUPPORTED_LANGUAGES: &[&str] = &["en", "fr"];

/// Picks the best supported language from an `Accept-Language` header value, honouring
/// quality values; `en` when nothing matches.
pub fn pick_language(accept_language: Option<&str>) -> &'static str {
    let mut best: Option<(&'static str, f32)> = None;
    for item in accept_language.unwrap_or("").split(',') {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or("").trim();
        let quality = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        if let Some(lang) = SUPPORTED_LANGUAGES.iter().find(|l| **l == primary) {
            if quality > 0.0 && best.is_none_or(|(_, q)| quality > q) {
                best = Some((lang, quality));
            }
        }
    }
    best.map(|(lang, _)| lang).unwrap_or(SUPPORTED_LANGUAGES[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_by_quality() {
        assert_eq!(pick_language(Some("de-DE,fr;q=0.8,en;q=0.5")), "fr");
        assert_eq!(pick_language(Some("fr-CA")), "fr");
        assert_eq!(pick_language(Some("en-GB,fr;q=0.9")), "en");
    }

    #[test]
    fn falls_back_to_english() {
        assert_eq!(pick_language(None), "en");
        assert_eq!(pick_language(Some("de, ja")), "en");
        assert_eq!(pick_language(Some("fr;q=0")), "en");
        assert_eq!(pick_language(Some(";;;,q=")), "en");
    }
}
