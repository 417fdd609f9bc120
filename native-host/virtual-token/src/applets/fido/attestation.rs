//! The U2F batch attestation. U2F REGISTER answers with an attestation
//! certificate and a signature by its key (FIDO U2F Raw Message Formats v1.2 §4.3);
//! opensk answers `6F00` until one is provisioned. A real key carries its vendor's
//! certificate; we make a self-signed P-256 one on first boot, from the
//! authenticator's rng. CTAP2 makeCredential keeps opensk's self attestation
//! ("packed" without x5c). **Emulator-defined**: subject, serial, validity.

use std::str::FromStr;
use std::time::Duration;

use p256::ecdsa::{DerSignature, SigningKey};
use rand::RngCore;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::asn1::{GeneralizedTime, UtcTime};
use x509_cert::der::Encode;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

use super::env::AuthEnv;
use opensk::env::Env;

/// Subject (and issuer) of the attestation certificate. The OU is the one FIDO
/// asks of attestation certificates (WebAuthn §8.2.1). **Emulator-defined.**
pub const SUBJECT: &str =
    "CN=Tessera Virtual Token Attestation,OU=Authenticator Attestation,O=Tessera";
/// notBefore: 2024-01-01T00:00:00Z.
const NOT_BEFORE_UNIX: u64 = 1_704_067_200;
/// notAfter: 9999-12-31T23:59:59Z, "no well-defined expiration date" (RFC 5280 §4.1.2.5).
const NOT_AFTER_UNIX: u64 = 253_402_300_799;

/// A new attestation key (opensk's wrapping: the 32-byte P-256 scalar) and its
/// DER certificate; `None` if the certificate cannot be built.
pub fn generate(env: &mut AuthEnv) -> Option<(Vec<u8>, Vec<u8>)> {
    let key = SigningKey::random(env.rng());
    let mut serial = [0u8; 8];
    env.rng().fill_bytes(&mut serial);
    serial[0] = (serial[0] & 0x7F) | 0x40; // positive, 8 octets
    match certificate(&key, &serial) {
        Ok(der) => Some((key.to_bytes().to_vec(), der)),
        Err(e) => {
            tracing::warn!("FIDO: cannot build the U2F attestation certificate: {e}");
            None
        }
    }
}

fn certificate(key: &SigningKey, serial: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let subject = Name::from_str(SUBJECT)?;
    let validity = Validity {
        not_before: Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(
            NOT_BEFORE_UNIX,
        ))?),
        not_after: Time::GeneralTime(GeneralizedTime::from_unix_duration(Duration::from_secs(
            NOT_AFTER_UNIX,
        ))?),
    };
    let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())?;
    let profile = Profile::Leaf {
        issuer: subject.clone(),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    };
    let builder = CertificateBuilder::new(
        profile,
        SerialNumber::new(serial)?,
        validity,
        subject,
        spki,
        key,
    )?;
    let cert = builder.build::<DerSignature>()?;
    Ok(cert.to_der()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;
    use rand::SeedableRng;
    use x509_cert::der::Decode;
    use x509_cert::Certificate;

    #[test]
    fn self_signed_and_verifiable() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let key = SigningKey::random(&mut rng);
        let der = certificate(&key, &[0x41, 1, 2, 3, 4, 5, 6, 7]).expect("cert");
        let cert = Certificate::from_der(&der).expect("parses");
        assert_eq!(cert.tbs_certificate.subject.to_string(), SUBJECT);
        assert_eq!(cert.tbs_certificate.issuer, cert.tbs_certificate.subject);
        let tbs = cert.tbs_certificate.to_der().expect("tbs");
        let sig = p256::ecdsa::DerSignature::try_from(cert.signature.raw_bytes()).expect("sig");
        let vk = VerifyingKey::from(&key);
        vk.verify(&tbs, &sig).expect("self-signed");
    }
}
