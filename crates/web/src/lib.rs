//! The web UI's built files, embedded in the binary so that `tradelab serve` needs
//! nothing beside it. The build script builds `web/` with npm; when it could not,
//! [`build_problem`] says why and what to install, and the server shows that at `/`.

/// One built file of the UI.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Its path under the site root, without the leading `/` (`index.html`,
    /// `assets/index-3f2a.js`).
    pub path: &'static str,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

impl Asset {
    /// Whether the file name carries a content hash, so browsers may keep it forever.
    pub fn is_immutable(&self) -> bool {
        self.path.starts_with("assets/")
    }
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The built file at `path` (without the leading `/`), if there is one.
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// The UI's entry page, unless the UI could not be built.
pub fn index() -> Option<&'static Asset> {
    asset("index.html")
}

/// Why the UI is not in this binary, with what to install; `None` when it is.
pub fn build_problem() -> Option<&'static str> {
    BUILD_PROBLEM
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeds_an_entry_page_that_loads_its_script_or_says_why_not() {
        match (index(), build_problem()) {
            (Some(page), None) => {
                let html = std::str::from_utf8(page.bytes).expect("index.html is UTF-8");
                let script = html
                    .split("src=\"/")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .expect("index.html loads a script");
                let js = asset(script).expect("the script index.html names is embedded");
                assert!(js.is_immutable());
                assert!(js.content_type.starts_with("text/javascript"));
            }
            (None, Some(why)) => assert!(!why.is_empty()),
            other => panic!("inconsistent build state: {other:?}"),
        }
    }
}
