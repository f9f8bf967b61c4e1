//! The server certificate check: webpki against the trusted roots, and pinning for the
//! self-signed certificates of the extra CA bundle.
//!
//! OpenSSL, and so python-openstackclient, accepts a server whose self-signed certificate
//! is given as its CA file; webpki refuses it (such a certificate is usually marked as a
//! CA, and a CA is no end entity). So a self-signed certificate of the bundle is accepted
//! when the server presents exactly it, for its names, within its validity period: the
//! TLS handshake still proves the server holds its key.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

/// webpki, with the bundle's self-signed certificates pinned.
#[derive(Debug)]
pub struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl Verifier {
    /// Trusts `roots`, and pins the self-signed certificates among `extra`.
    pub fn new(
        roots: RootCertStore,
        extra: &[CertificateDer<'static>],
        provider: Arc<CryptoProvider>,
    ) -> Result<Verifier, String> {
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| format!("TLS: {e}"))?;
        let pinned = extra.iter().filter(|c| self_signed(c)).cloned().collect();
        Ok(Verifier { webpki, pinned })
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.pinned.iter().any(|p| p == end_entity) {
            return pinned(end_entity, server_name, now);
        }
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// A pinned certificate is good for its names, within its validity period.
fn pinned(cert: &CertificateDer<'_>, name: &ServerName<'_>, now: UnixTime) -> Result<ServerCertVerified, Error> {
    let parsed = rustls::server::ParsedCertificate::try_from(cert)?;
    rustls::client::verify_server_name(&parsed, name)?;
    let tbs = der::tbs(cert).ok_or(CertificateError::BadEncoding)?;
    let at = |s: u64| UnixTime::since_unix_epoch(Duration::from_secs(s));
    if now.as_secs() < tbs.not_before {
        let not_before = at(tbs.not_before);
        return Err(CertificateError::NotValidYetContext { time: now, not_before }.into());
    }
    if now.as_secs() > tbs.not_after {
        let not_after = at(tbs.not_after);
        return Err(CertificateError::ExpiredContext { time: now, not_after }.into());
    }
    Ok(ServerCertVerified::assertion())
}

fn self_signed(cert: &CertificateDer<'_>) -> bool {
    der::tbs(cert).is_some_and(|t| t.issuer == t.subject)
}

/// The few fields of an X.509 certificate that pinning reads, from its DER (RFC 5280).
mod der {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const VERSION: u8 = 0xa0;
    const UTC_TIME: u8 = 0x17;
    const GENERALIZED_TIME: u8 = 0x18;

    /// Issuer, subject (as DER) and validity (UNIX seconds) of a certificate.
    pub struct Tbs<'a> {
        pub issuer: &'a [u8],
        pub subject: &'a [u8],
        pub not_before: u64,
        pub not_after: u64,
    }

    /// `TBSCertificate ::= SEQUENCE { version [0] OPTIONAL, serialNumber, signature,
    /// issuer, validity, subject, … }` inside `Certificate ::= SEQUENCE { tbs, … }`.
    pub fn tbs(cert: &[u8]) -> Option<Tbs<'_>> {
        let (cert, _) = element(cert, SEQUENCE)?;
        let (tbs, _) = element(cert, SEQUENCE)?;
        let tbs = element(tbs, VERSION).map_or(tbs, |(_, rest)| rest);
        let (_serial, rest) = element(tbs, INTEGER)?;
        let (_signature, rest) = element(rest, SEQUENCE)?;
        let (issuer, rest) = element(rest, SEQUENCE)?;
        let (validity, rest) = element(rest, SEQUENCE)?;
        let (subject, _) = element(rest, SEQUENCE)?;
        let (not_before, validity) = time(validity)?;
        let (not_after, _) = time(validity)?;
        Some(Tbs {
            issuer,
            subject,
            not_before,
            not_after,
        })
    }

    /// Splits the element tagged `tag` off the start of `input`: its contents, and what
    /// follows it.
    fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        let (&[t, first], rest) = input.split_first_chunk::<2>()?;
        if t != tag {
            return None;
        }
        let (len, rest) = match first {
            0..=0x7f => (usize::from(first), rest),
            0x81..=0x84 => {
                let (bytes, rest) = rest.split_at_checked(usize::from(first & 0x7f))?;
                (bytes.iter().fold(0, |n, &b| n << 8 | usize::from(b)), rest)
            }
            _ => return None,
        };
        rest.split_at_checked(len)
    }

    /// A `UTCTime` (`YYMMDDHHMMSSZ`) or `GeneralizedTime` (`YYYYMMDDHHMMSSZ`), the forms
    /// RFC 5280 allows, in UNIX seconds (0 before 1970).
    fn time(input: &[u8]) -> Option<(u64, &[u8])> {
        let (year, text, rest) = match element(input, UTC_TIME) {
            Some((t, rest)) => {
                let yy = number(t.get(..2)?)?;
                (if yy >= 50 { 1900 + yy } else { 2000 + yy }, t.get(2..)?, rest)
            }
            None => {
                let (t, rest) = element(input, GENERALIZED_TIME)?;
                (number(t.get(..4)?)?, t.get(4..)?, rest)
            }
        };
        let [mo0, mo1, d0, d1, h0, h1, mi0, mi1, s0, s1, b'Z'] = *text else {
            return None;
        };
        let [month, day, hour, minute, second] =
            [[mo0, mo1], [d0, d1], [h0, h1], [mi0, mi1], [s0, s1]].map(|p| number(&p));
        let days = days_since_epoch(year, month?, day?)?;
        let seconds = hour? * 3600 + minute? * 60 + second?;
        Some(((days * 86_400 + seconds as i64).max(0) as u64, rest))
    }

    fn number(digits: &[u8]) -> Option<u64> {
        digits
            .iter()
            .try_fold(0, |n, &d| d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0')))
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (the algorithm
    /// of Howard Hinnant's `days_from_civil`).
    fn days_since_epoch(year: u64, month: u64, day: u64) -> Option<i64> {
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let y = year as i64 - i64::from(month <= 2);
        let era = y.div_euclid(400);
        let year_of_era = y - era * 400;
        let day_of_year = (153 * ((month as i64 + 9) % 12) + 2) / 5 + day as i64 - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        Some(era * 146_097 + day_of_era - 719_468)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{date_time_ymd, CertificateParams, DnType, KeyPair};

    fn params(cn: &str) -> CertificateParams {
        let mut p = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p
    }

    /// Both time forms of RFC 5280: `UTCTime` up to 2049, `GeneralizedTime` from 2050.
    #[test]
    fn the_validity_period_is_read_from_the_certificate() {
        for (from, to) in [((1999, 12, 31), (2049, 12, 31)), ((2024, 2, 29), (2051, 3, 1))] {
            let mut p = params("self");
            p.not_before = date_time_ymd(from.0, from.1, from.2);
            p.not_after = date_time_ymd(to.0, to.1, to.2);
            let cert = p.self_signed(&KeyPair::generate().unwrap()).unwrap();
            let tbs = der::tbs(cert.der()).expect("parsed");
            assert_eq!(tbs.not_before as i64, p.not_before.unix_timestamp());
            assert_eq!(tbs.not_after as i64, p.not_after.unix_timestamp());
        }
    }

    #[test]
    fn only_self_signed_certificates_are_pinned() {
        let ca_key = KeyPair::generate().unwrap();
        let ca = rcgen::Issuer::new(params("CA"), ca_key);
        let leaf = params("leaf").signed_by(&KeyPair::generate().unwrap(), &ca).unwrap();
        let own = params("self").self_signed(&KeyPair::generate().unwrap()).unwrap();
        assert!(self_signed(own.der()));
        assert!(!self_signed(leaf.der()));
        assert!(!self_signed(&CertificateDer::from(&b"\x30\x03\x02\x01\x01"[..])));
    }
}
