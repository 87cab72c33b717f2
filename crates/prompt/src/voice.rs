//! Twilio's `voice` and `language` to the nearest espeak-ng voice (`-v`).
//!
//! espeak-ng has one voice per language and "variants" for timbre; Dialtone picks the
//! language from `language` (or, for `Polly.*` / `Google.*` voices, which are single-locale,
//! from the voice itself), and the timbre from the voice's sex: `man` is the plain voice,
//! `woman` and `alice` add `+f3`, Polly and Google voices add `+f3` for the names Twilio
//! documents as female and `+m3` otherwise. Unknown voices (Twilio's warning 13511) fall
//! back to the plain voice; unknown languages to `en-us`.
//!
//! | Twilio `language` | espeak-ng | | Twilio `language` | espeak-ng |
//! |---|---|---|---|---|
//! | `en-US` (default), `en-CA` | `en-us` | | `af-ZA` | `af` |
//! | `en-GB`, `en-AU`, `en-NZ`, `en-IE`, `en-ZA`, `en-IN` | `en-gb` | | `am-ET` | `am` |
//! | `en-GB-WLS`, `cy-GB` | `cy` | | `ar-AE`, `ar-XA`, `arb` | `ar` |
//! | `fr-FR`, `fr-CA` | `fr-fr` | | `fr-BE` | `fr-be` |
//! | `de-DE`, `de-AT` | `de` | | `es-ES` | `es` |
//! | `es-MX`, `es-US` | `es-419` | | `pt-BR` | `pt-br` |
//! | `pt-PT` | `pt` | | `it-IT` | `it` |
//! | `nl-NL`, `nl-BE` | `nl` | | `da-DK` | `da` |
//! | `nb-NO` | `nb` | | `sv-SE` | `sv` |
//! | `fi-FI` | `fi` | | `is-IS` | `is` |
//! | `pl-PL` | `pl` | | `cs-CZ` | `cs` |
//! | `sk-SK` | `sk` | | `hu-HU` | `hu` |
//! | `ro-RO` | `ro` | | `bg-BG` | `bg` |
//! | `ru-RU` | `ru` | | `uk-UA` | `uk` |
//! | `sr-RS` | `sr` | | `el-GR` | `el` |
//! | `tr-TR` | `tr` | | `he-IL` | `he` |
//! | `lv-LV` | `lv` | | `ca-ES` | `ca` |
//! | `hi-IN` | `hi` | | `bn-IN` | `bn` |
//! | `gu-IN` | `gu` | | `kn-IN` | `kn` |
//! | `ml-IN` | `ml` | | `mr-IN` | `mr` |
//! | `pa-IN` | `pa` | | `ta-IN` | `ta` |
//! | `te-IN` | `te` | | `th-TH` | `th` |
//! | `vi-VN` | `vi` | | `id-ID` | `id` |
//! | `ms-MY` | `ms` | | `fil-PH` | `en-us` (no Filipino voice) |
//! | `ja-JP` | `ja` | | `ko-KR` | `ko` |
//! | `cmn-CN`, `zh-CN`, `cmn-TW`, `zh-TW` | `cmn` | | `yue-HK`, `zh-HK`, `yue-CN` | `yue` |
//!
//! Matching is case-insensitive and `_` is read as `-`; a locale not in the table falls back
//! to its language subtag when espeak-ng has it (`de-CH` → `de`), then to `en-us`.

/// Whether `voice` is one Dialtone recognises: `man`, `woman`, `alice`, a `Polly.<Name>`
/// (with `-Neural` / `-Generative`) of the table below, or a `Google.<ll-CC>-<Model>-<X>`.
/// Twilio answers an unknown voice with warning 13511 "Say: Invalid voice value" and speaks
/// with the default voice, which is what [`espeak_voice`] does; the runtime can use this to
/// raise the warning.
pub fn is_known_voice(voice: &str) -> bool {
    let voice = voice.trim();
    if ["man", "woman", "alice"]
        .iter()
        .any(|v| v.eq_ignore_ascii_case(voice))
    {
        return true;
    }
    match voice.split_once('.') {
        Some((family, rest)) if family.eq_ignore_ascii_case("polly") => {
            let mut parts = rest.splitn(2, '-');
            let known = polly(parts.next().unwrap_or("")).0.is_some();
            known
                && parts
                    .next()
                    .is_none_or(|t| t == "Neural" || t == "Generative")
        }
        Some((family, rest)) if family.eq_ignore_ascii_case("google") => {
            rest.split('-').count() >= 4 && google(rest).0.is_some()
        }
        _ => false,
    }
}

/// The `-v` argument for a request.
pub fn espeak_voice(voice: Option<&str>, language: Option<&str>) -> String {
    let voice = voice.map_or("", str::trim);
    let (locale, female) = match voice.split_once('.') {
        Some((family, rest))
            if family.eq_ignore_ascii_case("polly") || family.eq_ignore_ascii_case("google") =>
        {
            if family.eq_ignore_ascii_case("google") {
                google(rest)
            } else {
                polly(rest)
            }
        }
        _ => (
            None,
            voice.eq_ignore_ascii_case("woman") || voice.eq_ignore_ascii_case("alice"),
        ),
    };
    let language = locale.or(language).unwrap_or("en-US");
    let base = espeak_language(language);
    let variant = if female {
        "+f3"
    } else if locale.is_some() {
        "+m3"
    } else {
        ""
    };
    format!("{base}{variant}")
}

/// `Google.en-GB-Standard-A`: the locale is the voice's first two dash-separated parts; the
/// letter's sex is not derivable, so A, C, E, F, G, H (mostly female in Google's catalogue)
/// and the Chirp3-HD female names are female.
fn google(rest: &str) -> (Option<&str>, bool) {
    let mut parts = rest.splitn(3, '-');
    let (Some(lang), Some(region)) = (parts.next(), parts.next()) else {
        return (None, false);
    };
    let locale = &rest[..lang.len() + 1 + region.len()];
    let tail = parts.next().unwrap_or("");
    let female_names = ["Aoede", "Kore", "Leda", "Zephyr"];
    let female = female_names.iter().any(|n| tail.ends_with(n))
        || tail
            .rsplit('-')
            .next()
            .is_some_and(|l| matches!(l, "A" | "C" | "E" | "F" | "G" | "H"));
    (Some(locale), female)
}

/// Polly voices by name (`Polly.Joanna`, `Polly.Joanna-Neural`): locale and sex.
fn polly(rest: &str) -> (Option<&str>, bool) {
    #[rustfmt::skip]
    const VOICES: &[(&str, &str, bool)] = &[
        ("Aditi", "hi-IN", true), ("Amy", "en-GB", true), ("Astrid", "sv-SE", true),
        ("Bianca", "it-IT", true), ("Brian", "en-GB", false), ("Camila", "pt-BR", true),
        ("Carla", "it-IT", true), ("Carmen", "ro-RO", true), ("Celine", "fr-FR", true),
        ("Céline", "fr-FR", true), ("Chantal", "fr-CA", true), ("Conchita", "es-ES", true),
        ("Cristiano", "pt-PT", false), ("Dora", "is-IS", true), ("Emma", "en-GB", true),
        ("Enrique", "es-ES", false), ("Ewa", "pl-PL", true), ("Filiz", "tr-TR", true),
        ("Geraint", "en-GB-WLS", false), ("Giorgio", "it-IT", false), ("Gwyneth", "cy-GB", true),
        ("Hans", "de-DE", false), ("Ines", "pt-PT", true), ("Inês", "pt-PT", true),
        ("Ivy", "en-US", true), ("Jacek", "pl-PL", false), ("Jan", "pl-PL", false),
        ("Joanna", "en-US", true), ("Joey", "en-US", false), ("Justin", "en-US", false),
        ("Karl", "is-IS", false), ("Kendra", "en-US", true), ("Kimberly", "en-US", true),
        ("Lea", "fr-FR", true), ("Léa", "fr-FR", true), ("Liv", "nb-NO", true),
        ("Lotte", "nl-NL", true), ("Lucia", "es-ES", true), ("Lupe", "es-US", true),
        ("Mads", "da-DK", false), ("Maja", "pl-PL", true), ("Marlene", "de-DE", true),
        ("Mathieu", "fr-FR", false), ("Matthew", "en-US", false), ("Maxim", "ru-RU", false),
        ("Mia", "es-MX", true), ("Mía", "es-MX", true), ("Miguel", "es-US", false),
        ("Mizuki", "ja-JP", true), ("Naja", "da-DK", true), ("Nicole", "en-AU", true),
        ("Olivia", "en-AU", true), ("Penelope", "es-US", true), ("Raveena", "en-IN", true),
        ("Ricardo", "pt-BR", false), ("Ruben", "nl-NL", false), ("Russell", "en-AU", false),
        ("Salli", "en-US", true), ("Seoyeon", "ko-KR", true), ("Takumi", "ja-JP", false),
        ("Tatyana", "ru-RU", true), ("Vicki", "de-DE", true), ("Vitoria", "pt-BR", true),
        ("Vitória", "pt-BR", true), ("Zeina", "arb", true), ("Zhiyu", "cmn-CN", true),
        ("Aria", "en-NZ", true), ("Ayanda", "en-ZA", true), ("Arlet", "ca-ES", true),
        ("Hannah", "de-AT", true), ("Kajal", "en-IN", true), ("Hiujin", "yue-CN", true),
        ("Laura", "nl-NL", true), ("Ida", "nb-NO", true), ("Suvi", "fi-FI", true),
        ("Elin", "sv-SE", true), ("Ola", "pl-PL", true), ("Daniel", "de-DE", false),
        ("Liam", "fr-CA", false), ("Remi", "fr-FR", false), ("Rémi", "fr-FR", false),
        ("Sergio", "es-ES", false), ("Andres", "es-MX", false), ("Adriano", "it-IT", false),
        ("Thiago", "pt-BR", false), ("Kazuha", "ja-JP", true), ("Tomoko", "ja-JP", true),
        ("Niamh", "en-IE", true), ("Stephen", "en-US", false), ("Ruth", "en-US", true),
        ("Danielle", "en-US", true), ("Gregory", "en-US", false), ("Kevin", "en-US", false),
        ("Arthur", "en-GB", false), ("Lisa", "nl-BE", true), ("Isabelle", "fr-BE", true),
        ("Zayd", "ar-AE", false), ("Hala", "ar-AE", true), ("Jihye", "ko-KR", true),
        ("Sofie", "da-DK", true), ("Burcu", "tr-TR", true),
    ];
    let name = rest.split('-').next().unwrap_or("");
    VOICES
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map_or((None, false), |&(_, locale, female)| (Some(locale), female))
}

/// The espeak-ng language for a Twilio locale.
pub fn espeak_language(language: &str) -> &'static str {
    #[rustfmt::skip]
    const TABLE: &[(&str, &str)] = &[
        ("en-us", "en-us"), ("en-ca", "en-us"), ("en", "en-us"), ("fil-ph", "en-us"),
        ("en-gb", "en-gb"), ("en-au", "en-gb"), ("en-nz", "en-gb"), ("en-ie", "en-gb"),
        ("en-za", "en-gb"), ("en-in", "en-gb"), ("en-gb-wls", "cy"), ("cy-gb", "cy"),
        ("af-za", "af"), ("am-et", "am"), ("ar-ae", "ar"), ("ar-xa", "ar"), ("arb", "ar"),
        ("fr-fr", "fr-fr"), ("fr-ca", "fr-fr"), ("fr", "fr-fr"), ("fr-be", "fr-be"),
        ("de-de", "de"), ("de-at", "de"), ("es-es", "es"), ("es-mx", "es-419"),
        ("es-us", "es-419"), ("pt-br", "pt-br"), ("pt-pt", "pt"), ("it-it", "it"),
        ("nl-nl", "nl"), ("nl-be", "nl"), ("da-dk", "da"), ("nb-no", "nb"), ("sv-se", "sv"),
        ("fi-fi", "fi"), ("is-is", "is"), ("pl-pl", "pl"), ("cs-cz", "cs"), ("sk-sk", "sk"),
        ("hu-hu", "hu"), ("ro-ro", "ro"), ("bg-bg", "bg"), ("ru-ru", "ru"), ("uk-ua", "uk"),
        ("sr-rs", "sr"), ("el-gr", "el"), ("tr-tr", "tr"), ("he-il", "he"), ("lv-lv", "lv"),
        ("ca-es", "ca"), ("hi-in", "hi"), ("bn-in", "bn"), ("gu-in", "gu"), ("kn-in", "kn"),
        ("ml-in", "ml"), ("mr-in", "mr"), ("pa-in", "pa"), ("ta-in", "ta"), ("te-in", "te"),
        ("th-th", "th"), ("vi-vn", "vi"), ("id-id", "id"), ("ms-my", "ms"), ("ja-jp", "ja"),
        ("ko-kr", "ko"), ("cmn-cn", "cmn"), ("zh-cn", "cmn"), ("cmn-tw", "cmn"),
        ("zh-tw", "cmn"), ("yue-hk", "yue"), ("zh-hk", "yue"), ("yue-cn", "yue"),
    ];
    let lang = language.trim().replace('_', "-").to_ascii_lowercase();
    if let Some((_, v)) = TABLE.iter().find(|(k, _)| *k == lang) {
        return v;
    }
    let primary = lang.split('-').next().unwrap_or("");
    TABLE
        .iter()
        .find(|(k, _)| k.split('-').next() == Some(primary))
        .map_or("en-us", |(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_twilio_voices_and_languages() {
        assert_eq!(espeak_voice(None, None), "en-us");
        assert_eq!(espeak_voice(Some("man"), Some("en-GB")), "en-gb");
        assert_eq!(espeak_voice(Some("woman"), Some("fr-FR")), "fr-fr+f3");
        assert_eq!(espeak_voice(Some("alice"), Some("de_de")), "de+f3");
        assert_eq!(
            espeak_voice(Some("Polly.Joanna"), Some("fr-FR")),
            "en-us+f3"
        );
        assert_eq!(espeak_voice(Some("Polly.Hans-Neural"), None), "de+m3");
        assert_eq!(
            espeak_voice(Some("Google.es-MX-Standard-B"), None),
            "es-419+m3"
        );
        assert_eq!(
            espeak_voice(Some("Google.en-GB-Chirp3-HD-Aoede"), None),
            "en-gb+f3"
        );
        assert_eq!(espeak_voice(Some("Polly.Nobody"), Some("es-ES")), "es");
        assert_eq!(espeak_language("de-CH"), "de");
        assert_eq!(espeak_language("xx-YY"), "en-us");
    }

    #[test]
    fn known_voices() {
        for v in [
            "man",
            "alice",
            "Polly.Joanna",
            "Polly.Joanna-Neural",
            "Polly.Mía-Generative",
            "Google.en-GB-Standard-A",
            "Google.en-US-Chirp3-HD-Aoede",
        ] {
            assert!(is_known_voice(v), "{v}");
        }
        for v in [
            "",
            "robot",
            "Polly.Nobody",
            "Polly.Joanna-Loud",
            "Google.en",
        ] {
            assert!(!is_known_voice(v), "{v}");
        }
    }

    #[test]
    fn every_reference_language_is_mapped() {
        let langs = "af-ZA am-ET ar-AE ar-XA arb bg-BG bn-IN ca-ES cmn-CN cmn-TW cs-CZ cy-GB \
            da-DK de-AT de-DE el-GR en-AU en-CA en-GB en-GB-WLS en-IE en-IN en-NZ en-US en-ZA \
            es-ES es-MX es-US fi-FI fil-PH fr-CA fr-FR fr-BE gu-IN he-IL hi-IN hu-HU id-ID \
            is-IS it-IT ja-JP kn-IN ko-KR lv-LV ml-IN mr-IN ms-MY nb-NO nl-BE nl-NL pa-IN \
            pl-PL pt-BR pt-PT ro-RO ru-RU sk-SK sr-RS sv-SE ta-IN te-IN th-TH tr-TR uk-UA \
            vi-VN yue-HK zh-CN zh-HK zh-TW da-DK ko-KR yue-CN";
        for lang in langs.split_whitespace() {
            let v = espeak_language(lang);
            assert!(
                v != "en-us" || lang.starts_with("en") || lang == "fil-PH",
                "{lang}"
            );
        }
    }
}
