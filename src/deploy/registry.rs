//! Tag → digest for images outside ECR, through the Docker Registry HTTP API v2 (the OCI
//! distribution spec): `HEAD /v2/<name>/manifests/<reference>` answers the manifest's digest
//! in `Docker-Content-Digest`. Public images only: a `401` with
//! `WWW-Authenticate: Bearer realm=…,service=…,scope=…` (Docker Hub, ghcr.io, quay.io) is
//! answered with an anonymous pull token from the realm, as `docker pull` does; a registry
//! that wants credentials is refused with a hint to deploy by digest.
//!
//! `localhost`, `127.0.0.0/8` and `::1` are spoken to over plain HTTP, as Docker treats them
//! as insecure registries by default; every other registry over HTTPS.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::{ACCEPT, AUTHORIZATION, WWW_AUTHENTICATE};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::image::ImageRef;

/// Docker Hub's registry host, for references without one (`nginx:1.27`).
pub const DOCKER_HUB: &str = "registry-1.docker.io";

/// What a manifest request accepts: a multi-platform index first (its digest is what
/// `docker pull` pins), then single-platform manifests, OCI and Docker formats.
pub const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json";

/// The header a registry names a manifest's digest in.
const DIGEST_HEADER: &str = "docker-content-digest";

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// Where an image's manifests are: the base URL and repository path the API takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://ghcr.io` or `http://localhost:5000`.
    pub base: String,
    /// `library/nginx` for Docker Hub's official images, else the repository as given.
    pub name: String,
}

impl Endpoint {
    pub fn of(image: &ImageRef) -> Endpoint {
        let host = match image.registry.as_deref() {
            None | Some("docker.io" | "index.docker.io") => DOCKER_HUB,
            Some(host) => host,
        };
        let name = if host == DOCKER_HUB && !image.repository.contains('/') {
            format!("library/{}", image.repository)
        } else {
            image.repository.clone()
        };
        let scheme = if is_loopback(host) { "http" } else { "https" };
        Endpoint {
            base: format!("{scheme}://{host}"),
            name,
        }
    }

    fn manifest_url(&self, reference: &str) -> String {
        format!("{}/v2/{}/manifests/{reference}", self.base, self.name)
    }
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback(host: &str) -> bool {
    let without_port = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.split(':').next().unwrap_or(host),
    };
    without_port == "localhost"
        || without_port == "::1"
        || without_port
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why a lookup gave no digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupError {
    pub message: String,
    /// The registry answered that the image is not there (404), rather than not answering.
    pub missing: bool,
}

impl From<String> for LookupError {
    fn from(message: String) -> LookupError {
        LookupError {
            message,
            missing: false,
        }
    }
}

/// The digest of `image`'s manifest (or manifest list) in its registry. `Err` says why it
/// cannot be had; nothing has changed.
pub async fn digest(image: &ImageRef) -> Result<String, LookupError> {
    let endpoint = Endpoint::of(image);
    let reference = image
        .digest
        .as_deref()
        .or(image.tag.as_deref())
        .unwrap_or("latest");
    let url = endpoint.manifest_url(reference);
    let client = client()?;
    let mut response = head(&client, &url, None).await?;
    if response.status() == StatusCode::UNAUTHORIZED {
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let token = anonymous_token(&client, &challenge, &endpoint.name).await?;
        response = head(&client, &url, Some(&token)).await?;
    }
    let status = response.status();
    match status {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND => {
            return Err(LookupError {
                message: format!(
                    "not found in registry {} (HEAD {url}: 404 Not Found)",
                    endpoint.base
                ),
                missing: true,
            })
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            return Err(format!(
                "registry {} refused to answer anonymously (HEAD {url}: {status}); ecsynth \
                 looks up public images only: give the image by digest (`…@sha256:…`)",
                endpoint.base
            )
            .into())
        }
        other => return Err(format!("HEAD {url} answered {other}").into()),
    }
    let found = response
        .headers()
        .get(DIGEST_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| {
            format!(
                "registry {} named no digest (no `Docker-Content-Digest` on HEAD {url}); give \
                 the image by digest (`…@sha256:…`)",
                endpoint.base
            )
        })?;
    if let Some(wanted) = &image.digest {
        if *wanted != found {
            return Err(LookupError {
                message: format!("registry {} has digest {found} for it", endpoint.base),
                missing: true,
            });
        }
    }
    Ok(found)
}

fn client() -> Result<Client<Https, Empty<Bytes>>, String> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|error| format!("cannot read the system's root certificates: {error}"))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

async fn head(
    client: &Client<Https, Empty<Bytes>>,
    url: &str,
    token: Option<&str>,
) -> Result<hyper::Response<hyper::body::Incoming>, String> {
    let mut request = Request::builder()
        .method(Method::HEAD)
        .uri(url)
        .header(ACCEPT, MANIFEST_TYPES);
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .body(Empty::new())
        .map_err(|error| format!("HEAD {url}: {error}"))?;
    client
        .request(request)
        .await
        .map_err(|error| format!("HEAD {url}: {}", error_chain(&error)))
}

/// An anonymous pull token for `name` from the Bearer challenge's realm.
async fn anonymous_token(
    client: &Client<Https, Empty<Bytes>>,
    challenge: &str,
    name: &str,
) -> Result<String, String> {
    let Some(parameters) = challenge.strip_prefix("Bearer ") else {
        return Err(format!(
            "the registry wants credentials (`WWW-Authenticate: {challenge}`); ecsynth looks \
             up public images only: give the image by digest (`…@sha256:…`)"
        ));
    };
    let parameters = challenge_parameters(parameters);
    let get = |key: &str| {
        parameters
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    };
    let realm =
        get("realm").ok_or_else(|| format!("`WWW-Authenticate: {challenge}` names no realm"))?;
    let scope = get("scope")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("repository:{name}:pull"));
    let mut url = format!("{realm}?scope={}", query_escape(&scope));
    if let Some(service) = get("service") {
        url.push_str(&format!("&service={}", query_escape(service)));
    }
    let request = Request::builder()
        .method(Method::GET)
        .uri(&url)
        .body(Empty::new())
        .map_err(|error| format!("GET {url}: {error}"))?;
    let response = client
        .request(request)
        .await
        .map_err(|error| format!("GET {url}: {}", error_chain(&error)))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|error| format!("GET {url}: {error}"))?
        .to_bytes();
    if status != StatusCode::OK {
        return Err(format!(
            "the registry's token service refused an anonymous token (GET {url}: {status}); \
             ecsynth looks up public images only: give the image by digest (`…@sha256:…`)"
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|error| format!("GET {url}: the token answer is not JSON: {error}"))?;
    json.get("token")
        .or_else(|| json.get("access_token"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("GET {url}: the answer has no `token`"))
}

/// `realm="https://auth.docker.io/token",service="registry.docker.io"` → pairs.
pub fn challenge_parameters(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().trim_start_matches(',').trim().to_owned();
        let after = after.trim_start();
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => match quoted.split_once('"') {
                Some((value, remaining)) => (value.to_owned(), remaining),
                None => (quoted.to_owned(), ""),
            },
            None => match after.split_once(',') {
                Some((value, remaining)) => (value.trim().to_owned(), remaining),
                None => (after.trim().to_owned(), ""),
            },
        };
        out.push((key, value));
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

/// Percent-encodes what a query value may not hold as it is (`:` and `/` of a scope stay).
fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// An error and its causes, `: `-joined (hyper's own message is only the outermost).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_official_images_live_under_library() {
        let endpoint = Endpoint::of(&ImageRef::parse("nginx:1.27").unwrap());
        assert_eq!(endpoint.base, "https://registry-1.docker.io");
        assert_eq!(endpoint.name, "library/nginx");
        let endpoint = Endpoint::of(&ImageRef::parse("docker.io/grafana/grafana:11").unwrap());
        assert_eq!(endpoint.name, "grafana/grafana");
    }

    #[test]
    fn loopback_registries_are_plain_http_as_docker_allows() {
        for (image, base) in [
            ("localhost:5000/web:1", "http://localhost:5000"),
            ("127.0.0.1:5000/web:1", "http://127.0.0.1:5000"),
            ("ghcr.io/acme/web:1", "https://ghcr.io"),
            ("127.example.com/web:1", "https://127.example.com"),
        ] {
            assert_eq!(Endpoint::of(&ImageRef::parse(image).unwrap()).base, base);
        }
    }

    #[test]
    fn bearer_challenges_are_read_like_docker_does() {
        assert_eq!(
            challenge_parameters(
                r#"realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#
            ),
            vec![
                (
                    "realm".to_owned(),
                    "https://auth.docker.io/token".to_owned()
                ),
                ("service".to_owned(), "registry.docker.io".to_owned()),
                (
                    "scope".to_owned(),
                    "repository:library/nginx:pull".to_owned()
                ),
            ]
        );
        assert_eq!(
            query_escape("repository:a/b:pull,push"),
            "repository:a/b:pull%2Cpush"
        );
    }
}
