//! The words that mark (or rule out) a one-time-code field, in the languages
//! of the sites people meet most. Matched as lower-case substrings of the
//! field's name, id, label, placeholder and aria-label.

/// Say "this is the one-time code" on their own.
pub const STRONG: &[&str] = &[
    // English
    "one-time",
    "one time",
    "onetime",
    "otp",
    "totp",
    "2fa",
    "two-factor",
    "two factor",
    "2-step",
    "two-step",
    "mfa",
    "verification code",
    "verification_code",
    "verificationcode",
    "verify code",
    "security code",
    "authentication code",
    "auth code",
    "authcode",
    "authenticator",
    "passcode",
    "sms code",
    // German
    "bestätigungscode",
    "einmalcode",
    "einmalpasswort",
    "sicherheitscode",
    "verifizierungscode",
    "authentifizierungscode",
    // Spanish, Portuguese
    "código de verificación",
    "codigo de verificacion",
    "código de seguridad",
    "código de verificação",
    "código de segurança",
    // French
    "code de vérification",
    "code de verification",
    "code de sécurité",
    "code à usage unique",
    "code d'authentification",
    // Italian, Dutch, Polish, Swedish
    "codice di verifica",
    "codice di sicurezza",
    "verificatiecode",
    "beveiligingscode",
    "kod weryfikacyjny",
    "kod jednorazowy",
    "verifieringskod",
    "engångskod",
    // Russian, Japanese, Chinese, Korean
    "код подтверждения",
    "одноразовый",
    "確認コード",
    "認証コード",
    "ワンタイム",
    "验证码",
    "驗證碼",
    "动态码",
    "인증 코드",
    "인증코드",
    "인증번호",
];

/// Hint at a code; enough only with numeric input and a 6–8 maxlength.
pub const WEAK: &[&str] = &[
    "code",
    "token",
    "código",
    "codigo",
    "codice",
    "kod",
    "код",
    "コード",
    "번호",
    "digits",
];

/// Rule a field out: other codes and other data a login page asks for.
pub const NEGATIVE: &[&str] = &[
    "search",
    "query",
    "zip",
    "postal",
    "postcode",
    "promo",
    "coupon",
    "voucher",
    "discount",
    "gift",
    "referral",
    "invite",
    "captcha",
    "username",
    "user name",
    "e-mail",
    "email",
    "phone number",
    "card number",
    "cvv",
    "cvc",
    "country",
    "suche",
    "buscar",
    "recherche",
];

/// Whether `text` contains any of `words`.
pub fn any(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}
