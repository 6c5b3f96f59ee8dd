//! AutoMTLS as go-plugin does it: a self-signed server certificate made at
//! start-up (ECDSA P-256: about 0.1 ms with ring), printed in the handshake
//! line, and the client certificate Terraform passes in `PLUGIN_CLIENT_CERT`.
//!
//! Client authentication: Terraform's client certificate is ECDSA P-521,
//! which ring cannot verify. We **pin** it: the client must present exactly
//! the certificate bytes from `PLUGIN_CLIENT_CERT`, and its TLS handshake
//! signature (`ecdsa_secp521r1_sha512`, the only scheme we offer) is verified
//! with the RustCrypto `p521` crate against that certificate's key. When the
//! variable holds something we cannot pin (garbage, or not a P-521
//! certificate), the provider refuses to start, as go-plugin does: it never
//! serves TLS without client authentication. The socket lives in a fresh
//! directory made 0700 whatever the umask.

use base64::Engine;
use p521::ecdsa::signature::Verifier;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, ServerConfig, SignatureScheme};
use std::sync::Arc;

/// The server side of AutoMTLS.
pub struct Tls {
    pub config: Arc<ServerConfig>,
    /// The server certificate, DER as standard base64 without padding.
    pub cert_base64: String,
}

/// Makes the server certificate and the rustls configuration.
pub fn setup(client_cert_pem: &str) -> Result<Tls, String> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let cert_der = cert.der().clone();
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let pinned = PinnedClientCert::from_pem(client_cert_pem).ok_or_else(|| {
        "PLUGIN_CLIENT_CERT does not hold a P-521 certificate in PEM (as Terraform passes); refusing to serve without client authentication".to_string()
    })?;
    let builder = builder.with_client_cert_verifier(Arc::new(pinned));
    let mut config = builder
        .with_single_cert(vec![cert_der.clone()], key_der)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        cert_base64: base64::engine::general_purpose::STANDARD_NO_PAD.encode(cert_der.as_ref()),
    })
}

/// Accepts exactly one client certificate, verifying P-521 signatures.
#[derive(Debug)]
pub struct PinnedClientCert {
    der: Vec<u8>,
    key: p521::ecdsa::VerifyingKey,
}

impl PinnedClientCert {
    /// From the PEM Terraform passes; `None` unless it is a P-521 certificate.
    pub fn from_pem(pem: &str) -> Option<Self> {
        let der = pem_to_der(pem)?;
        let point = p521_public_key(&der)?;
        let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?;
        Some(PinnedClientCert { der, key })
    }

    fn check(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<(), Error> {
        if cert.as_ref() != self.der.as_slice() {
            return Err(Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ));
        }
        if dss.scheme != SignatureScheme::ECDSA_NISTP521_SHA512 {
            return Err(Error::PeerMisbehaved(
                rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
            ));
        }
        if self.verify_p521(message, dss.signature()) {
            Ok(())
        } else {
            Err(Error::InvalidCertificate(CertificateError::BadSignature))
        }
    }

    /// Checks an ASN.1 DER ECDSA P-521/SHA-512 signature of `message`.
    pub fn verify_p521(&self, message: &[u8], der_signature: &[u8]) -> bool {
        p521::ecdsa::DerSignature::try_from(der_signature)
            .ok()
            .and_then(|s| p521::ecdsa::Signature::try_from(s).ok())
            .is_some_and(|sig| self.key.verify(message, &sig).is_ok())
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.check(message, cert, dss)
            .map(|()| HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.check(message, cert, dss)
            .map(|()| HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ECDSA_NISTP521_SHA512]
    }
}

/// The DER of the first certificate in a PEM text.
pub fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// One DER element: (tag, contents, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, b) = b.split_first()?;
    let (&first, b) = b.split_first()?;
    let (len, b) = if first < 0x80 {
        (usize::from(first), b)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || b.len() < n {
            return None;
        }
        (b[..n].iter().fold(0usize, |a, x| (a << 8) | usize::from(*x)), &b[n..])
    };
    (b.len() >= len).then(|| (tag, &b[..len], &b[len..]))
}

/// The uncompressed P-521 point of a certificate's public key.
fn p521_public_key(cert: &[u8]) -> Option<&[u8]> {
    const P521_OID: [u8; 7] = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
    let (0x30, cert, _) = tlv(cert)? else { return None };
    let (0x30, tbs, _) = tlv(cert)? else { return None };
    let (tag, _, after) = tlv(tbs)?;
    // Optional [0] version, then serial, signature, issuer, validity, subject.
    let mut rest = if tag == 0xa0 { after } else { tbs };
    for _ in 0..5 {
        rest = tlv(rest)?.2;
    }
    let (0x30, spki, _) = tlv(rest)? else { return None };
    let (0x30, alg, bits) = tlv(spki)? else { return None };
    if !alg.windows(P521_OID.len()).any(|w| w == P521_OID) {
        return None;
    }
    let (0x03, bits, _) = tlv(bits)? else { return None };
    bits.strip_prefix(&[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_cert_is_unpadded_base64_of_der() {
        let t = setup(P521_CERT).unwrap();
        assert!(!t.cert_base64.ends_with('='));
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&t.cert_base64)
            .unwrap();
        assert_eq!(der[0], 0x30);
        assert_eq!(t.config.alpn_protocols, vec![b"h2".to_vec()]);
    }

    /// A P-521 certificate like Terraform's, and an OpenSSL signature
    /// (`openssl dgst -sha512 -sign`) of a message with its key.
    const P521_CERT: &str = "-----BEGIN CERTIFICATE-----
MIICBDCCAWagAwIBAgIUcBgPOCzix6Avn0PS+UzfMnGvqXAwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MB4XDTI2MTEyMTA0NDg0M1oXDTI2MTEyMjA0
NDg0M1owFDESMBAGA1UEAwwJbG9jYWxob3N0MIGbMBAGByqGSM49AgEGBSuBBAAj
A4GGAAQA8ncwLI9iwTC1vlpHGZk21rqsmryUYPYvHoeDSHegBrxYqK6gkEdhuyqW
jslcGaAfbzVxMVjyVIm1ezp3nxMkNOoA0ZNfacRcQL0dD5CVbxbyVzOeNCw5wsMY
l6/fa1KxhH0oau3wl5rwRSoApxX3nrOlo1srL8SSoGtBnl40W2tSYqSjUzBRMB0G
A1UdDgQWBBSd9DU9oYtoi39N5sr1T9DXfJUzSzAfBgNVHSMEGDAWgBSd9DU9oYto
i39N5sr1T9DXfJUzSzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA4GLADCB
hwJBFYtK4CQh0CM8VfqIy8Ac/KySK4YnXHf0Ah26biI0rSZtWMpx2f2uQrzeWszG
OGCGEvofraCxCeyh2/M2JN/5wQQCQgHdRsFiGdgWv8odBgn17D/IW7qqHm4aSOft
+HNRNG8CJrSjHGb0yXrdNQkEx6f3siIflwTpuPO9p7a8uvFMCNeL1A==
-----END CERTIFICATE-----
";
    const SIGNATURE: &str = "MIGIAkIB34rglar+/Gkr7FysRoDZMwL3ZiA2dZB+1TILJ1P3N/xQUpAK3vSqkGPkkQs61NcFS3vILpmhCXiNSHSTTybdmUsCQgFYWjTyE0hLRuoxMCWTqBn/m8s7mP4B1/N2gsX6CCnFSkiBGKaqkY/u9EpodpgJEetx4II/M+QQaw45yrnifRg2+Q==";

    #[test]
    fn p521_certificate_is_pinned_and_signatures_verify() {
        let pinned = PinnedClientCert::from_pem(P521_CERT).expect("a P-521 certificate pins");
        let sig = base64::engine::general_purpose::STANDARD.decode(SIGNATURE).unwrap();
        assert!(pinned.verify_p521(b"hybridk8s pinning fixture", &sig));
        assert!(!pinned.verify_p521(b"hybridk8s pinning fixturE", &sig));
        assert!(!pinned.verify_p521(b"hybridk8s pinning fixture", &sig[1..]));
        let other = CertificateDer::from(vec![0x30, 0x00]);
        assert!(pinned.verify_client_cert(&other, &[], UnixTime::now()).is_err());
        let same = CertificateDer::from(pem_to_der(P521_CERT).unwrap());
        assert!(pinned.verify_client_cert(&same, &[], UnixTime::now()).is_ok());
    }

    #[test]
    fn a_certificate_that_cannot_be_pinned_refuses_to_serve() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        assert!(PinnedClientCert::from_pem(&cert.pem()).is_none());
        assert_eq!(pem_to_der(&cert.pem()).unwrap(), cert.der().to_vec());
        // Fail closed: no TLS without a client certificate to pin.
        for bad in [
            cert.pem().as_str(),
            "not a certificate",
            "-----BEGIN CERTIFICATE-----\n!!\n",
        ] {
            let e = setup(bad).err().expect("refused");
            assert!(e.contains("PLUGIN_CLIENT_CERT") && e.contains("refusing"), "{e}");
        }
    }
}
