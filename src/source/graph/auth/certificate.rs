//! A certificate credential: a PEM file holding the app's certificate and its unencrypted RSA key
//! (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`, in any order), and the client assertions it
//! signs: RS256 JWTs whose header carries `x5t` = base64url(SHA-1(certificate DER)), with `aud` = the
//! token URL and `iss` = `sub` = the client id.

use std::fmt;
use std::path::Path;

use base64::Engine;
use sha1::Digest;

use super::super::options::Secret;
use crate::error::Error;

/// Lifetime of a client assertion.
const ASSERTION_LIFETIME_SECS: i64 = 600;

/// A certificate credential, ready to sign assertions.
pub(crate) struct Certificate {
    key: jsonwebtoken::EncodingKey,
    /// base64url(SHA-1(certificate DER)).
    x5t: String,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate").field("x5t", &self.x5t).field("key", &"[redacted]").finish()
    }
}

impl Certificate {
    /// Parses a PEM text holding a certificate and an RSA private key (in any order).
    pub fn from_pem(text: &str) -> Result<Self, String> {
        let blocks = pem_blocks(text);
        let certificate = blocks
            .iter()
            .find(|b| b.label == "CERTIFICATE")
            .ok_or("no certificate in it (expected a -----BEGIN CERTIFICATE----- block)")?;
        let der = base64::engine::general_purpose::STANDARD
            .decode(&certificate.base64)
            .map_err(|e| format!("the certificate block is not valid base64: {e}"))?;
        let x5t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&der));
        if blocks.iter().any(|b| b.label == "ENCRYPTED PRIVATE KEY" || b.pem.contains("Proc-Type: 4,ENCRYPTED")) {
            return Err("its private key is encrypted: decrypt it first (openssl pkey -in FILE -out KEY.pem)".into());
        }
        let key = blocks.iter().find(|b| b.label == "PRIVATE KEY" || b.label == "RSA PRIVATE KEY").ok_or(
            "no private key in it (expected a -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY----- block)",
        )?;
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(key.pem.as_bytes())
            .map_err(|e| format!("the private key is not a usable RSA key: {e}"))?;
        Ok(Certificate { key, x5t })
    }

    /// A signed client assertion for the token URL.
    pub fn assertion(&self, token_url: &str, client_id: &str) -> Result<Secret, String> {
        let now = chrono::Utc::now().timestamp();
        let claims = serde_json::json!({
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.x5t = Some(self.x5t.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).map(Secret::new).map_err(|e| e.to_string())
    }
}

pub(super) fn load(path: &Path) -> Result<Certificate, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    Certificate::from_pem(&text).map_err(|e| Error::input(path, e))
}

/// One `-----BEGIN X-----` ... `-----END X-----` block of a PEM text.
struct PemBlock {
    label: String,
    /// The block as text, BEGIN and END lines included.
    pem: String,
    /// The base64 body, without whitespace and header lines.
    base64: String,
}

fn pem_blocks(text: &str) -> Vec<PemBlock> {
    let mut blocks = Vec::new();
    let mut current: Option<PemBlock> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) {
            current = Some(PemBlock { label: label.to_owned(), pem: format!("{line}\n"), base64: String::new() });
        } else if let Some(label) = line.strip_prefix("-----END ").and_then(|l| l.strip_suffix("-----")) {
            if let Some(mut block) = current.take() {
                if block.label == label {
                    block.pem.push_str(line);
                    block.pem.push('\n');
                    blocks.push(block);
                }
            }
        } else if let Some(block) = current.as_mut() {
            block.pem.push_str(line);
            block.pem.push('\n');
            if !line.contains(':') {
                block.base64.push_str(line);
            }
        }
    }
    blocks
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const FIXTURE: &str = include_str!("../../../../tests/fixtures/graph-cert.pem");
    /// `openssl x509 -in graph-cert.pem -outform DER | openssl dgst -sha1 -binary | basenc --base64url`
    pub(crate) const FIXTURE_X5T: &str = "Lgto7NbT-65DdDQIRDhsLR35j2E";
    /// `openssl x509 -in graph-cert.pem -pubkey -noout`
    const FIXTURE_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1OqhJezT7D1jgPj2Ag5z
GR70xqRIfQdCsLfBNUD9ZTvnR0YX1nsYul/rRE+3v9PJSxuaABNWDHnYzdz2N0SJ
89+2zTaRJRMRWQHLLzr9I9OXBET+6gmgsacJHdZS1nlY2dXGXYgNLNJ4SxFHIR/Z
hv4l4jX8YzSNYOOcUnLLThzpbh1Z9057ELhilJphtMQ8MNZ+0zzkI27xl94Affcu
05k1FEsCqhM85QtOg1IAKuTThNnatBZpFcCqC3ocxcpWAyAok3NcXwZUcIut6fzf
PdIowz9Y9AcNpvdkOmnLl7ywW0mtNk+mDmapl+34oAGGxvVMaEgCPyDru0MCWuS0
2QIDAQAB
-----END PUBLIC KEY-----
";

    #[test]
    fn certificate_assertion_header_and_claims() {
        let certificate = Certificate::from_pem(FIXTURE).unwrap();
        assert_eq!(certificate.x5t, FIXTURE_X5T);
        let url = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token";
        let jwt = certificate.assertion(url, "client-1").unwrap();
        let header = jsonwebtoken::decode_header(jwt.expose()).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.x5t.as_deref(), Some(FIXTURE_X5T));
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(FIXTURE_PUBLIC_KEY.as_bytes()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[url]);
        validation.set_issuer(&["client-1"]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(jwt.expose(), &key, &validation).unwrap().claims;
        assert_eq!(claims["aud"], url);
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["sub"], "client-1");
        assert!(claims["jti"].as_str().is_some_and(|j| j.len() == 36));
        let (nbf, exp) = (claims["nbf"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
        assert_eq!(exp - nbf, 600);
    }

    #[test]
    fn certificate_problems_are_clear() {
        let (cert_only, key_only) = FIXTURE.split_at(FIXTURE.find("-----BEGIN PRIVATE KEY-----").unwrap());
        assert!(Certificate::from_pem(key_only).unwrap_err().contains("no certificate"));
        assert!(Certificate::from_pem(cert_only).unwrap_err().contains("no private key"));
        let encrypted =
            format!("{cert_only}-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assert!(Certificate::from_pem(&encrypted).unwrap_err().contains("encrypted"));
        // The key first and the certificate second works too.
        let swapped = Certificate::from_pem(&format!("{key_only}{cert_only}")).unwrap();
        assert_eq!(swapped.x5t, FIXTURE_X5T);
        let blocks = pem_blocks("junk\n-----BEGIN RSA PRIVATE KEY-----\nAB\nCD\n-----END RSA PRIVATE KEY-----\n");
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "RSA PRIVATE KEY");
        assert_eq!(blocks[0].base64, "ABCD");
    }
}
