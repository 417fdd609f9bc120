//! `YkOathSession`: Yubico's OATH applet (YKOATH, protocols.md §1). One
//! method per instruction; responses chained with `61xx` are fetched with
//! SEND REMAINING (`00 A5 00 00`, §0.1).

mod credential_id;

pub use credential_id::{CredentialId, DEFAULT_PERIOD};

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

use crate::apdu::{Apdu, Processor, Sw};
use crate::connection::SmartCardConnection;
use crate::sessions::{select, Pin, SessionError};
use crate::tlv;

/// YKOATH AID (protocols.md §0.1).
pub const YKOATH_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01];

/// PBKDF2 iterations and key length of the access key (§1.9).
const KDF_ITERATIONS: u32 = 1000;
/// Access-key length.
pub const ACCESS_KEY_LEN: usize = 16;
/// Longest credential id (§1.10).
pub const MAX_ID_LEN: usize = 64;
/// Keys shorter than this are zero-padded (ykman `HMAC_MINIMUM_KEY_SIZE`, §1.4).
const MIN_KEY_LEN: usize = 14;

const TAG_NAME: u8 = 0x71;
const TAG_NAME_LIST: u8 = 0x72;
const TAG_KEY: u8 = 0x73;
const TAG_CHALLENGE: u8 = 0x74;
const TAG_RESPONSE: u8 = 0x75;
const TAG_TRUNCATED: u8 = 0x76;
const TAG_HOTP: u8 = 0x77;
const TAG_PROPERTY: u8 = 0x78;
const TAG_VERSION: u8 = 0x79;
const TAG_IMF: u8 = 0x7A;
const TAG_ALGORITHM: u8 = 0x7B;
const TAG_TOUCH: u8 = 0x7C;
/// Property: require touch (YK ≥ 4.2.4).
const PROP_REQUIRE_TOUCH: u8 = 0x02;

/// Credential type: the high nibble of the type/algorithm byte (§1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OathType {
    /// `1x`.
    Hotp,
    /// `2x`.
    Totp,
    /// Anything else, as read.
    Other(u8),
}

/// HMAC algorithm: the low nibble (§1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// `x1`.
    Sha1,
    /// `x2`.
    Sha256,
    /// `x3` (YK ≥ 4.3.1).
    Sha512,
    /// Anything else, as read.
    Other(u8),
}

impl OathType {
    fn from_byte(b: u8) -> OathType {
        match b & 0xF0 {
            0x10 => OathType::Hotp,
            0x20 => OathType::Totp,
            other => OathType::Other(other),
        }
    }

    fn nibble(self) -> u8 {
        match self {
            OathType::Hotp => 0x10,
            OathType::Totp => 0x20,
            OathType::Other(b) => b & 0xF0,
        }
    }
}

impl HashAlgorithm {
    fn from_byte(b: u8) -> HashAlgorithm {
        match b & 0x0F {
            0x01 => HashAlgorithm::Sha1,
            0x02 => HashAlgorithm::Sha256,
            0x03 => HashAlgorithm::Sha512,
            other => HashAlgorithm::Other(other),
        }
    }

    fn nibble(self) -> u8 {
        match self {
            HashAlgorithm::Sha1 => 0x01,
            HashAlgorithm::Sha256 => 0x02,
            HashAlgorithm::Sha512 => 0x03,
            HashAlgorithm::Other(b) => b & 0x0F,
        }
    }

    /// HMAC block size (64, or 128 for SHA-512).
    fn block_size(self) -> Option<usize> {
        match self {
            HashAlgorithm::Sha1 | HashAlgorithm::Sha256 => Some(64),
            HashAlgorithm::Sha512 => Some(128),
            HashAlgorithm::Other(_) => None,
        }
    }

    fn hash(self, data: &[u8]) -> Option<Vec<u8>> {
        match self {
            HashAlgorithm::Sha1 => Some(Sha1::digest(data).to_vec()),
            HashAlgorithm::Sha256 => Some(Sha256::digest(data).to_vec()),
            HashAlgorithm::Sha512 => Some(Sha512::digest(data).to_vec()),
            HashAlgorithm::Other(_) => None,
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
            let mut m = <M as Mac>::new_from_slice(key).ok()?;
            m.update(data);
            Some(m.finalize().into_bytes().to_vec())
        }
        match self {
            HashAlgorithm::Sha1 => run::<Hmac<Sha1>>(key, data),
            HashAlgorithm::Sha256 => run::<Hmac<Sha256>>(key, data),
            HashAlgorithm::Sha512 => run::<Hmac<Sha512>>(key, data),
            HashAlgorithm::Other(_) => None,
        }
    }
}

/// The access key: PBKDF2-HMAC-SHA1(password, salt, 1000, 16) (§1.9).
#[derive(Clone)]
pub struct AccessKey(Zeroizing<[u8; ACCESS_KEY_LEN]>);

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessKey(***)")
    }
}

impl AccessKey {
    /// Derives the key from the password (UTF-8 bytes) and the device salt
    /// (SELECT tag 71).
    pub fn derive(password: &Pin, salt: &[u8]) -> AccessKey {
        let mut key = Zeroizing::new([0u8; ACCESS_KEY_LEN]);
        pbkdf2::pbkdf2_hmac::<Sha1>(password.as_bytes(), salt, KDF_ITERATIONS, &mut key[..]);
        AccessKey(key)
    }

    /// A key from its raw bytes.
    pub fn from_bytes(key: [u8; ACCESS_KEY_LEN]) -> AccessKey {
        AccessKey(Zeroizing::new(key))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0[..]
    }
}

/// What SELECT reports (§1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OathInfo {
    /// `79`: firmware version, e.g. 5.2.4.
    pub version: Vec<u8>,
    /// `71`: the device salt (new on RESET).
    pub salt: Vec<u8>,
    /// `74`: the challenge, present only when a password is set.
    pub challenge: Option<Vec<u8>>,
    /// `7B`: the access key's algorithm (SHA-1 when absent).
    pub algorithm: HashAlgorithm,
}

impl OathInfo {
    fn parse(answer: &[u8]) -> Result<OathInfo, SessionError> {
        let version = tlv::find(answer, &[TAG_VERSION]);
        let salt = tlv::find(answer, &[TAG_NAME]);
        let (Some(version), Some(salt)) = (version, salt) else {
            return Err(SessionError::Malformed(
                "YKOATH SELECT answer without 79 version and 71 salt".into(),
            ));
        };
        Ok(OathInfo {
            version: version.to_vec(),
            salt: salt.to_vec(),
            challenge: tlv::find(answer, &[TAG_CHALLENGE]).map(<[u8]>::to_vec),
            algorithm: match tlv::find(answer, &[TAG_ALGORITHM]) {
                Some(&[b]) => HashAlgorithm::from_byte(b),
                _ => HashAlgorithm::Sha1,
            },
        })
    }

    /// Whether an access code (password) is set.
    pub fn has_password(&self) -> bool {
        self.challenge.is_some()
    }

    /// ykman's device id: base64(SHA-256(salt)[:16]) without `=` (§1.3).
    pub fn device_id(&self) -> String {
        let digest = Sha256::digest(&self.salt);
        base64_no_pad(digest.get(..16).unwrap_or_default())
    }
}

fn base64_no_pad(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let [b0, b1, b2] = [0, 1, 2].map(|i| chunk.get(i).copied().unwrap_or(0));
        let n = u32::from_be_bytes([0, b0, b1, b2]);
        for i in 0..=chunk.len() {
            let six = (n >> (18 - 6 * i)) & 0x3F;
            out.push(char::from(ALPHABET[six as usize]));
        }
    }
    out
}

/// One LIST entry (§1.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The credential id, as stored.
    pub id: Vec<u8>,
    /// HOTP or TOTP.
    pub oath_type: OathType,
    /// HMAC algorithm.
    pub algorithm: HashAlgorithm,
}

impl Credential {
    /// The id taken apart (issuer, name, period).
    pub fn parsed_id(&self) -> CredentialId {
        CredentialId::parse(&self.id, self.oath_type)
    }
}

/// What PUT stores (§1.4).
#[derive(Clone)]
pub struct CredentialData {
    /// Id, 1–64 bytes.
    pub id: Vec<u8>,
    /// HOTP or TOTP.
    pub oath_type: OathType,
    /// HMAC algorithm.
    pub algorithm: HashAlgorithm,
    /// Code length, 6–8.
    pub digits: u8,
    /// The shared secret.
    pub secret: Zeroizing<Vec<u8>>,
    /// Require touch.
    pub touch: bool,
    /// HOTP initial counter (sent only when > 0).
    pub counter: u32,
}

impl std::fmt::Debug for CredentialData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialData")
            .field("id", &String::from_utf8_lossy(&self.id))
            .field("oath_type", &self.oath_type)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("secret", &"***")
            .field("touch", &self.touch)
            .field("counter", &self.counter)
            .finish()
    }
}

/// A truncated code (§1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// The code, zero-padded to `digits`.
    pub value: String,
    /// Number of digits.
    pub digits: u8,
}

impl Code {
    /// From `<digits> <4 bytes>`: `(u32 & 7FFFFFFF) mod 10^digits` (§1.7).
    fn from_truncated(v: &[u8]) -> Result<Code, SessionError> {
        let &[digits, a, b, c, d] = v else {
            return Err(SessionError::Malformed(format!(
                "a truncated response of {} bytes",
                v.len()
            )));
        };
        let modulus = 10u64
            .checked_pow(u32::from(digits))
            .filter(|_| (1..=10).contains(&digits))
            .ok_or_else(|| SessionError::Malformed(format!("{digits} digits")))?;
        let n = u64::from(u32::from_be_bytes([a, b, c, d]) & 0x7FFF_FFFF) % modulus;
        Ok(Code {
            value: format!("{n:0width$}", width = usize::from(digits)),
            digits,
        })
    }
}

/// The result part of a CALCULATE ALL entry (§1.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalculatedResult {
    /// `76`: a truncated code (TOTP without touch).
    Code(Code),
    /// `75`: the full HMAC (when asked with P2 = 00).
    Full {
        /// Digits.
        digits: u8,
        /// The HMAC.
        response: Vec<u8>,
    },
    /// `77`: HOTP, not calculated (protects the counter); digits if given.
    Hotp {
        /// Digits (absent in `77 00`).
        digits: Option<u8>,
    },
    /// `7C`: touch required, not calculated.
    Touch {
        /// Digits (absent in `7C 00`).
        digits: Option<u8>,
    },
}

/// One CALCULATE ALL entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalculatedEntry {
    /// Credential id.
    pub id: Vec<u8>,
    /// What the token answered for it.
    pub result: CalculatedResult,
}

/// The TOTP challenge: 8-byte big-endian `floor(unix_time / period)` (§1.7).
pub fn time_challenge(unix_time: u64, period: u32) -> Result<[u8; 8], SessionError> {
    unix_time
        .checked_div(u64::from(period))
        .map(u64::to_be_bytes)
        .ok_or_else(|| SessionError::InvalidArgument("a TOTP period of 0".into()))
}

fn random_challenge() -> Result<[u8; 8], SessionError> {
    let mut c = [0u8; 8];
    getrandom::getrandom(&mut c).map_err(|e| SessionError::Random(e.to_string()))?;
    Ok(c)
}

fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    tlv::encode_len(value.len(), out);
    out.extend_from_slice(value);
}

/// Status words shared by the YKOATH instructions (§0.1, §1.1).
fn status(ins: u8, sw: Sw) -> Result<(), SessionError> {
    match sw {
        Sw::Ok => Ok(()),
        Sw::SecurityNotSatisfied => Err(SessionError::SecurityNotSatisfied),
        Sw::Other(0x6984) => Err(SessionError::NotFound),
        Sw::InsNotSupported => Err(SessionError::NotSupported),
        sw => Err(SessionError::Unexpected { ins, sw }),
    }
}

/// An open YKOATH session.
pub struct YkOathSession<'c> {
    p: Processor<'c>,
    info: OathInfo,
    unlocked: bool,
}

impl<'c> YkOathSession<'c> {
    /// SELECTs the applet and parses version, salt, challenge, algorithm (§1.3).
    pub fn open(conn: &'c mut dyn SmartCardConnection) -> Result<YkOathSession<'c>, SessionError> {
        let mut p = Processor::new(conn).with_get_response_ins(0xA5);
        let info = OathInfo::parse(&select(&mut p, YKOATH_AID)?)?;
        Ok(YkOathSession {
            p,
            info,
            unlocked: false,
        })
    }

    /// What SELECT reported.
    pub fn info(&self) -> &OathInfo {
        &self.info
    }

    /// Whether commands other than VALIDATE/RESET will answer `6982`.
    pub fn is_locked(&self) -> bool {
        self.info.has_password() && !self.unlocked
    }

    /// The access key for `password` on this device (§1.9).
    pub fn derive_key(&self, password: &Pin) -> AccessKey {
        AccessKey::derive(password, &self.info.salt)
    }

    fn send(&mut self, apdu: &Apdu) -> Result<Vec<u8>, SessionError> {
        let r = self.p.send(apdu)?;
        status(apdu.ins, r.sw)?;
        Ok(r.data)
    }

    /// VALIDATE `00 A3 00 00 Lc 75 L HMAC(key, select challenge) 74 08 <host
    /// challenge>` and checks the token's `75` answer (mutual, §1.9).
    pub fn validate(&mut self, key: &AccessKey) -> Result<(), SessionError> {
        self.validate_with(key, random_challenge()?)
    }

    fn validate_with(&mut self, key: &AccessKey, host: [u8; 8]) -> Result<(), SessionError> {
        let Some(card_challenge) = self.info.challenge.clone() else {
            return Err(SessionError::NotSupported);
        };
        let alg = self.info.algorithm;
        let hmac = |data: &[u8]| {
            alg.hmac(key.as_bytes(), data)
                .ok_or(SessionError::NotSupported)
        };
        let mut data = vec![];
        push_tlv(&mut data, TAG_RESPONSE, &hmac(&card_challenge)?);
        push_tlv(&mut data, TAG_CHALLENGE, &host);
        let r = self.p.send(&Apdu::new(0x00, 0xA3, 0x00, 0x00).data(data))?;
        match r.sw {
            Sw::Ok => {}
            Sw::Other(0x6984) => return Err(SessionError::WrongAccessCode),
            sw => status(0xA3, sw)?,
        }
        let expected = hmac(&host)?;
        // Constant-time comparison of the token's proof.
        let answer = tlv::find(&r.data, &[TAG_RESPONSE]).unwrap_or_default();
        let same = answer.len() == expected.len()
            && answer
                .iter()
                .zip(&expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(SessionError::CardAuthenticationFailed);
        }
        self.unlocked = true;
        Ok(())
    }

    /// LIST `00 A1 00 00` → `72 L <type|algo> <id>` entries (§1.6).
    pub fn list(&mut self) -> Result<Vec<Credential>, SessionError> {
        let data = self.send(&Apdu::new(0x00, 0xA1, 0x00, 0x00))?;
        tlv::parse(&data)
            .map(|t| {
                let t = t.map_err(|e| SessionError::Malformed(format!("LIST: {e}")))?;
                match (t.tag, t.value.split_first()) {
                    ([TAG_NAME_LIST], Some((&kind, id))) => Ok(Credential {
                        id: id.to_vec(),
                        oath_type: OathType::from_byte(kind),
                        algorithm: HashAlgorithm::from_byte(kind),
                    }),
                    _ => Err(SessionError::Malformed(
                        "LIST: an entry that is not 72 <type> <id>".into(),
                    )),
                }
            })
            .collect()
    }

    /// PUT `00 01 00 00 Lc 71 id 73 L <type|algo> <digits> <key> [78 02]
    /// [7A 04 counter]` (§1.4). The key is hashed if longer than the hash's
    /// block and zero-padded to 14 bytes, as ykman does.
    pub fn put(&mut self, cred: &CredentialData) -> Result<(), SessionError> {
        let invalid = |m: &str| SessionError::InvalidArgument(m.into());
        if cred.id.is_empty() || cred.id.len() > MAX_ID_LEN {
            return Err(invalid("a credential id is 1–64 bytes"));
        }
        if !(6..=8).contains(&cred.digits) {
            return Err(invalid("a credential has 6–8 digits"));
        }
        let (OathType::Hotp | OathType::Totp) = cred.oath_type else {
            return Err(invalid("a credential is HOTP or TOTP"));
        };
        let block = cred
            .algorithm
            .block_size()
            .ok_or_else(|| invalid("unknown algorithm"))?;
        let mut secret = Zeroizing::new(cred.secret.to_vec());
        if secret.len() > block {
            secret = Zeroizing::new(cred.algorithm.hash(&secret).unwrap_or_default());
        }
        if secret.len() < MIN_KEY_LEN {
            secret.resize(MIN_KEY_LEN, 0);
        }
        let mut key = Zeroizing::new(vec![
            cred.oath_type.nibble() | cred.algorithm.nibble(),
            cred.digits,
        ]);
        key.extend_from_slice(&secret);
        let mut data = Zeroizing::new(vec![]);
        push_tlv(&mut data, TAG_NAME, &cred.id);
        push_tlv(&mut data, TAG_KEY, &key);
        if cred.touch {
            data.extend_from_slice(&[TAG_PROPERTY, PROP_REQUIRE_TOUCH]);
        }
        if cred.oath_type == OathType::Hotp && cred.counter > 0 {
            push_tlv(&mut data, TAG_IMF, &cred.counter.to_be_bytes());
        }
        self.send(&Apdu::new(0x00, 0x01, 0x00, 0x00).data(&*data))?;
        Ok(())
    }

    /// DELETE `00 02 00 00 Lc 71 L id` (§1.5); `NotFound` on `6984`.
    pub fn delete(&mut self, id: &[u8]) -> Result<(), SessionError> {
        let mut data = vec![];
        push_tlv(&mut data, TAG_NAME, id);
        self.send(&Apdu::new(0x00, 0x02, 0x00, 0x00).data(data))?;
        Ok(())
    }

    fn calculate_raw(
        &mut self,
        id: &[u8],
        challenge: &[u8],
        p2: u8,
    ) -> Result<Vec<u8>, SessionError> {
        let mut data = vec![];
        push_tlv(&mut data, TAG_NAME, id);
        push_tlv(&mut data, TAG_CHALLENGE, challenge);
        let r = self.p.send(&Apdu::new(0x00, 0xA2, 0x00, p2).data(data))?;
        match r.sw {
            // 6982 once unlocked: the touch was not given (in time).
            Sw::SecurityNotSatisfied if !self.is_locked() => Err(SessionError::TouchRequired),
            sw => status(0xA2, sw).map(|()| r.data),
        }
    }

    /// CALCULATE, truncated (P2 = 01): `76 05 <digits> <4 bytes>` (§1.7).
    /// `challenge` is [`time_challenge`] for TOTP and empty for HOTP.
    /// `TouchRequired` when a touch credential was not touched (`6982` while
    /// unlocked); `NotFound` for an unknown id.
    pub fn calculate(&mut self, id: &[u8], challenge: &[u8]) -> Result<Code, SessionError> {
        let data = self.calculate_raw(id, challenge, 0x01)?;
        let v = tlv::find(&data, &[TAG_TRUNCATED])
            .ok_or_else(|| SessionError::Malformed("CALCULATE without 76".into()))?;
        Code::from_truncated(v)
    }

    /// CALCULATE, full HMAC (P2 = 00): `75 L <digits> <HMAC>` → (digits, HMAC).
    pub fn calculate_full(
        &mut self,
        id: &[u8],
        challenge: &[u8],
    ) -> Result<(u8, Vec<u8>), SessionError> {
        let data = self.calculate_raw(id, challenge, 0x00)?;
        match tlv::find(&data, &[TAG_RESPONSE]).and_then(<[u8]>::split_first) {
            Some((&digits, hmac)) => Ok((digits, hmac.to_vec())),
            None => Err(SessionError::Malformed("CALCULATE without 75".into())),
        }
    }

    /// CALCULATE ALL `00 A4 00 01 Lc 74 08 <challenge>` (§1.8), chained with
    /// SEND REMAINING. The challenge is for period 30: recalculate TOTP
    /// credentials with another period one by one.
    pub fn calculate_all(
        &mut self,
        challenge: &[u8],
    ) -> Result<Vec<CalculatedEntry>, SessionError> {
        let mut data = vec![];
        push_tlv(&mut data, TAG_CHALLENGE, challenge);
        let data = self.send(&Apdu::new(0x00, 0xA4, 0x00, 0x01).data(data))?;
        let bad = |m: String| SessionError::Malformed(format!("CALCULATE ALL: {m}"));
        let mut tlvs = tlv::parse(&data);
        let mut entries = vec![];
        while let Some(name) = tlvs.next() {
            let name = name.map_err(bad)?;
            if name.tag != [TAG_NAME] {
                return Err(bad("an entry that does not start with 71".into()));
            }
            let t = tlvs
                .next()
                .ok_or_else(|| bad("a name without a result".into()))?
                .map_err(bad)?;
            let digits = t.value.first().copied();
            let result = match t.tag {
                [TAG_TRUNCATED] => CalculatedResult::Code(Code::from_truncated(t.value)?),
                [TAG_RESPONSE] => match t.value.split_first() {
                    Some((&digits, hmac)) => CalculatedResult::Full {
                        digits,
                        response: hmac.to_vec(),
                    },
                    None => return Err(bad("an empty 75".into())),
                },
                [TAG_HOTP] => CalculatedResult::Hotp { digits },
                [TAG_TOUCH] => CalculatedResult::Touch { digits },
                other => return Err(bad(format!("unknown tag {}", hex::encode_upper(other)))),
            };
            entries.push(CalculatedEntry {
                id: name.value.to_vec(),
                result,
            });
        }
        Ok(entries)
    }

    /// SET CODE `00 03 00 00 Lc 73 11 21 <key> 74 08 <challenge> 75 14
    /// <HMAC-SHA1(key, challenge)>` (§1.9); `None` clears it (`73 00`). Then
    /// SELECTs again, so [`info`](Self::info) and [`is_locked`](Self::is_locked)
    /// tell what the token now requires (VALIDATE again after setting a code).
    pub fn set_code(&mut self, key: Option<&AccessKey>) -> Result<(), SessionError> {
        let challenge = random_challenge()?;
        self.set_code_with(key, challenge)
    }

    fn set_code_with(
        &mut self,
        key: Option<&AccessKey>,
        challenge: [u8; 8],
    ) -> Result<(), SessionError> {
        let mut data = Zeroizing::new(vec![]);
        match key {
            Some(key) => {
                // ykman sends TOTP|SHA1 (21h); the key is used with HMAC-SHA1.
                let alg = HashAlgorithm::Sha1;
                let mut k = Zeroizing::new(vec![OathType::Totp.nibble() | alg.nibble()]);
                k.extend_from_slice(key.as_bytes());
                push_tlv(&mut data, TAG_KEY, &k);
                push_tlv(&mut data, TAG_CHALLENGE, &challenge);
                let mac = alg
                    .hmac(key.as_bytes(), &challenge)
                    .ok_or(SessionError::NotSupported)?;
                push_tlv(&mut data, TAG_RESPONSE, &mac);
            }
            None => data.extend_from_slice(&[TAG_KEY, 0x00]),
        }
        self.send(&Apdu::new(0x00, 0x03, 0x00, 0x00).data(&*data))?;
        self.reselect()
    }

    fn reselect(&mut self) -> Result<(), SessionError> {
        self.info = OathInfo::parse(&select(&mut self.p, YKOATH_AID)?)?;
        self.unlocked = false;
        Ok(())
    }

    /// RESET `00 04 DE AD` (§1.9): deletes every credential and the access
    /// key, then SELECTs again for the new salt (as ykman does).
    pub fn reset(&mut self) -> Result<(), SessionError> {
        self.send(&Apdu::new(0x00, 0x04, 0xDE, 0xAD))?;
        self.reselect()
    }
}

#[cfg(test)]
mod tests;
