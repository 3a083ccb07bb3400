//! Image references as `docker pull` reads them: `[registry/]repository[:tag][@digest]`.

/// One image reference, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Host (and port) of the registry; `None` for Docker Hub's short form (`nginx:1.27`).
    pub registry: Option<String>,
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:<64 hex>`.
    pub digest: Option<String>,
}

/// An ECR registry host: `<account>.dkr.ecr.<region>.amazonaws.com[.cn]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrRegistry {
    pub account: String,
    pub region: String,
}

impl ImageRef {
    pub fn parse(text: &str) -> Result<ImageRef, String> {
        let allowed =
            "`[registry/]repository:tag` or `[registry/]repository@sha256:<64 hex digits>`";
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return Err(format!(
                "`{text}` is not an image reference; give {allowed}"
            ));
        }
        let (name, digest) = match text.split_once('@') {
            Some((name, digest)) => {
                let hex = digest.strip_prefix("sha256:").unwrap_or("");
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!(
                        "`{text}`: the digest `{digest}` is not `sha256:` and 64 hex digits"
                    ));
                }
                (name, Some(digest.to_ascii_lowercase()))
            }
            None => (text, None),
        };
        // A tag is after the last `:` that follows the last `/` (a registry port is before it).
        let last_slash = name.rfind('/').map_or(0, |at| at + 1);
        let (path, tag) = match name[last_slash..].rfind(':') {
            Some(at) => (
                &name[..last_slash + at],
                Some(name[last_slash + at + 1..].to_owned()),
            ),
            None => (name, None),
        };
        if tag.as_deref() == Some("") {
            return Err(format!(
                "`{text}`: the tag after `:` is empty; give {allowed}"
            ));
        }
        if tag.is_none() && digest.is_none() {
            return Err(format!(
                "`{text}` names no tag or digest; give {allowed} (`latest` is not assumed: a \
                 deploy names the version it ships)"
            ));
        }
        let (registry, repository) = match path.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first.to_owned()), rest.to_owned())
            }
            _ => (None, path.to_owned()),
        };
        if repository.is_empty() {
            return Err(format!(
                "`{text}`: the repository name is empty; give {allowed}"
            ));
        }
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The registry when it is an ECR private registry.
    pub fn ecr(&self) -> Option<EcrRegistry> {
        let host = self.registry.as_deref()?;
        let mut parts = host.split('.');
        let account = parts.next()?;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        (parts.next()? == "dkr" && parts.next()? == "ecr").then_some(())?;
        let region = parts.next()?;
        (parts.next()? == "amazonaws").then_some(())?;
        Some(EcrRegistry {
            account: account.to_owned(),
            region: region.to_owned(),
        })
    }

    /// `registry/repository@digest`: what gets registered, so a tag moved later cannot change
    /// what a running deployment starts.
    pub fn pinned(&self, digest: &str) -> String {
        match &self.registry {
            Some(registry) => format!("{registry}/{}@{digest}", self.repository),
            None => format!("{}@{digest}", self.repository),
        }
    }

    /// The version named on the command line: the tag, else the digest.
    pub fn version(&self) -> &str {
        self.tag
            .as_deref()
            .or(self.digest.as_deref())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn ecr_tag_reference() {
        let image =
            ImageRef::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/storefront/web:v42")
                .unwrap();
        assert_eq!(image.repository, "storefront/web");
        assert_eq!(image.tag.as_deref(), Some("v42"));
        assert_eq!(
            image.ecr(),
            Some(EcrRegistry {
                account: "123456789012".into(),
                region: "eu-west-1".into()
            })
        );
        assert_eq!(
            image.pinned(DIGEST),
            format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/storefront/web@{DIGEST}")
        );
    }

    #[test]
    fn registry_port_is_not_a_tag() {
        let image = ImageRef::parse(&format!("localhost:5000/web@{DIGEST}")).unwrap();
        assert_eq!(image.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(
            (image.tag.as_deref(), image.digest.as_deref()),
            (None, Some(DIGEST))
        );
        assert_eq!(image.ecr(), None);
    }

    #[test]
    fn docker_hub_short_form() {
        let image = ImageRef::parse("nginx:1.27").unwrap();
        assert_eq!(
            (image.registry.as_deref(), image.repository.as_str()),
            (None, "nginx")
        );
    }

    #[test]
    fn a_reference_without_tag_or_digest_is_refused() {
        assert!(ImageRef::parse("nginx")
            .unwrap_err()
            .contains("names no tag or digest"));
        assert!(ImageRef::parse("web@sha256:12")
            .unwrap_err()
            .contains("64 hex digits"));
    }
}
