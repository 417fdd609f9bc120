//! Device management on the command line (the ActivClient Devices view):
//! `tessera device list`, `tessera pin verify|change|unblock|policy|lock|status`,
//! `tessera puk show`, `tessera pairing-code`, `tessera cache clear`,
//! `tessera recycle`, `tessera personalize`.
//!
//! Every verb is protocol calls through the host's own router (the same
//! handlers the browser uses), over PC/SC or, with `--virtual`, the in-process
//! virtual token. Secrets are prompted for (see [`prompt`]), never taken from argv.

pub(crate) mod host;
pub(crate) mod prompt;
pub(crate) mod text;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::{json, Value};
use tessera_core::pin_policy::{ChallengeType, Charset, PinPolicy};
use tessera_core::protocol::{
    DeviceParams, DevicePinParams, ErrorBody, ErrorCode, Feature, PairingCode, PersonalizeParams,
    PinChangeParams, PinPolicySetParams, PinStatus, PinUnblockParams, PolicyInfo, PukResult,
    RecycleParams, UnblockChallenge, UnblockMethod,
};
use tessera_core::secret::Secret;

use crate::virtual_card::ProfileArg;
use host::{Failure, Host, Target};
use prompt::Prompter;
use text::Ctx;

/// How secrets are read, for the help of the verbs that ask for them.
macro_rules! secrets_help {
    () => {
        "\n\nSecrets are never command-line arguments. On a terminal they are asked for \
         without echo (a new PIN twice); otherwise they are read from standard input, one per \
         line, in the order above. When the PIN has one try left, `yes` is asked for first."
    };
}

/// Options every device verb takes.
#[derive(Args, Clone)]
pub struct TokenOpts {
    /// The token: its device id (see `tessera device list`) or its reader name.
    /// Default: the only token connected.
    #[arg(long, value_name = "ID|READER")]
    pub(crate) device: Option<String>,
    /// Print the protocol result (or error) as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Use an in-process virtual token instead of the smart-card service
    /// (profile crescendo-key by default, or ykoath).
    #[arg(
        long = "virtual",
        value_name = "PROFILE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "crescendo-key",
        value_enum
    )]
    virtual_profile: Option<ProfileArg>,
    /// The virtual token's state file (default: <data dir>/tessera/virtual-<profile>.json).
    #[arg(long, value_name = "FILE", requires = "virtual_profile")]
    virtual_state: Option<PathBuf>,
}

impl TokenOpts {
    /// `--device`.
    pub(crate) fn device(&self) -> Option<&str> {
        self.device.as_deref()
    }

    /// `--json`.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    /// `--virtual`.
    pub(crate) fn is_virtual(&self) -> bool {
        self.virtual_profile.is_some()
    }
}

impl ProfileArg {
    /// The profile's name, as the virtual token knows it.
    fn name(&self) -> &'static str {
        match self {
            ProfileArg::CrescendoKey => "crescendo-key",
            ProfileArg::Ykoath => "ykoath",
        }
    }
}

/// The device-management verbs (flattened into the top-level commands).
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Tokens: `tessera device list`.
    Device {
        #[command(subcommand)]
        command: DeviceCmd,
    },
    /// The PIN: verify, change, unblock, policy, lock, status.
    Pin {
        #[command(subcommand)]
        command: PinCmd,
    },
    /// The PUK: `tessera puk show`.
    Puk {
        #[command(subcommand)]
        command: PukCmd,
    },
    /// Show the token's VCI pairing code (asks for the PIN).
    #[command(after_help = concat!(
        "Asks for: the PIN (unless the lock is open).",
        secrets_help!()
    ))]
    PairingCode(TokenOpts),
    /// Tessera's cache of what it read from the tokens: `tessera cache clear`.
    Cache {
        #[command(subcommand)]
        command: CacheCmd,
    },
    /// Factory-reset the token: everything on it is erased (asks you to type its id).
    #[command(after_help = concat!(
        "Asks for: the device id (typed confirmation, echoed), then the PIN (unless the lock \
         is open).",
        secrets_help!()
    ))]
    Recycle(TokenOpts),
    /// Set up the token for its user: optional recycle, PIN policy, new PIN, and
    /// a new PUK shown once.
    #[command(after_help = concat!(
        "Asks for: with --recycle, the device id (typed confirmation, echoed) and the current PIN \
         (unless the lock is open); without, the current PIN. Then the new PIN. Prints the new \
         PUK once.",
        secrets_help!()
    ))]
    Personalize(PersonalizeArgs),
}

/// `tessera device …`
#[derive(Subcommand)]
pub enum DeviceCmd {
    /// List readers and tokens: model, id, lock state, what each can do.
    List(TokenOpts),
}

/// `tessera pin …`
#[derive(Subcommand)]
pub enum PinCmd {
    /// Verify the PIN (asks for it; a wrong PIN costs a try and is never retried).
    #[command(after_help = concat!("Asks for: the PIN.", secrets_help!()))]
    Verify(TokenOpts),
    /// Change the PIN (asks for the current and the new one; the policy is checked first).
    #[command(after_help = concat!(
        "Asks for: the current PIN, then the new PIN.",
        secrets_help!()
    ))]
    Change(TokenOpts),
    /// Unblock the PIN and set a new one, with the admin key, a helpdesk response or the PUK.
    #[command(after_help = concat!(
        "Asks for: the admin key (hex), the PUK, or the helpdesk's response (hex; the challenge \
         is shown on stderr first), then the new PIN.",
        secrets_help!()
    ))]
    Unblock(UnblockArgs),
    /// Show or set the PIN policy (`show` when no action is given).
    Policy(PolicyArgs),
    /// Close the lock: forget that the PIN was verified.
    Lock(TokenOpts),
    /// Show the lock state and the tries left (sends no PIN).
    Status(TokenOpts),
}

/// `tessera puk …`
#[derive(Subcommand)]
pub enum PukCmd {
    /// Show the PUK stored on the token (asks for the PIN).
    #[command(after_help = concat!(
        "Asks for: the PIN (unless the lock is open).",
        secrets_help!()
    ))]
    Show(TokenOpts),
}

/// `tessera cache …`
#[derive(Subcommand)]
pub enum CacheCmd {
    /// Forget what Tessera read from the tokens; they are read again on next use.
    Clear(TokenOpts),
}

/// How to unblock.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum UnblockArg {
    /// The admin key, in hex (Crescendo).
    AdminKey,
    /// The helpdesk's response to the challenge shown (Crescendo).
    Response,
    /// The PUK (PIV tokens).
    Puk,
}

/// `tessera pin unblock` arguments.
#[derive(Args)]
pub struct UnblockArgs {
    #[command(flatten)]
    opts: TokenOpts,
    /// How to unblock. Default: admin-key on a Crescendo Key, puk on other PIV tokens.
    #[arg(long, value_enum)]
    method: Option<UnblockArg>,
}

/// `tessera pin policy` arguments (options go after `show`/`set` when one is given).
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PolicyArgs {
    #[command(subcommand)]
    action: Option<PolicyCmd>,
    #[command(flatten)]
    opts: TokenOpts,
}

/// `tessera pin policy show|set`
#[derive(Subcommand)]
pub enum PolicyCmd {
    /// Show the PIN policy in force and the card's own limits.
    Show(TokenOpts),
    /// Change the stored PIN policy (the card's limits always win).
    Set(PolicySetArgs),
}

/// `tessera pin policy set` arguments.
#[derive(Args)]
pub struct PolicySetArgs {
    #[command(flatten)]
    opts: TokenOpts,
    #[command(flatten)]
    rules: PolicyFlags,
}

/// On or off.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum OnOff {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl OnOff {
    fn get(self) -> bool {
        self == OnOff::On
    }
}

/// Allowed PIN characters.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum CharsetArg {
    /// Digits only.
    Numeric,
    /// Letters, digits and symbols (printable ASCII).
    Alphanumeric,
}

/// Unblock challenge type.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum ChallengeArg {
    /// A fresh challenge each time.
    Dynamic,
    /// The same challenge until it is answered.
    Static,
}

/// PIN policy rules to change (unset ones stay as they are).
#[derive(Args, Default)]
pub struct PolicyFlags {
    /// Minimum PIN length.
    #[arg(long, value_name = "N")]
    min_len: Option<u8>,
    /// Maximum PIN length.
    #[arg(long, value_name = "N")]
    max_len: Option<u8>,
    /// Allowed characters.
    #[arg(long, value_enum)]
    charset: Option<CharsetArg>,
    /// Demand a PIN change before anything else.
    #[arg(long, value_enum, value_name = "on|off")]
    force_change: Option<OnOff>,
    /// Unblock challenge type for the helpdesk path.
    #[arg(long, value_enum)]
    challenge: Option<ChallengeArg>,
    /// Refuse weak PINs (characters stepping by a constant: 1111, 1234, 4321, ABCD).
    #[arg(long, value_enum, value_name = "on|off")]
    refuse_weak: Option<OnOff>,
}

impl PolicyFlags {
    fn any(&self) -> bool {
        self.min_len.is_some()
            || self.max_len.is_some()
            || self.charset.is_some()
            || self.force_change.is_some()
            || self.challenge.is_some()
            || self.refuse_weak.is_some()
    }

    fn apply(&self, mut p: PinPolicy) -> PinPolicy {
        if let Some(n) = self.min_len {
            p.min_len = n;
        }
        if let Some(n) = self.max_len {
            p.max_len = n;
        }
        if let Some(c) = self.charset {
            p.charset = match c {
                CharsetArg::Numeric => Charset::Numeric,
                CharsetArg::Alphanumeric => Charset::Alphanumeric,
            };
        }
        if let Some(f) = self.force_change {
            p.force_change = f.get();
        }
        if let Some(c) = self.challenge {
            p.challenge = match c {
                ChallengeArg::Dynamic => ChallengeType::Dynamic,
                ChallengeArg::Static => ChallengeType::Static,
            };
        }
        if let Some(w) = self.refuse_weak {
            p.refuse_weak = w.get();
        }
        p
    }
}

/// `tessera personalize` arguments.
#[derive(Args)]
pub struct PersonalizeArgs {
    #[command(flatten)]
    opts: TokenOpts,
    /// Recycle (factory-reset) the token first; asks you to type its id.
    #[arg(long)]
    recycle: bool,
    #[command(flatten)]
    rules: PolicyFlags,
    /// PIV and FIDO share the PIN (settable only here).
    #[arg(long, value_enum, value_name = "on|off")]
    fido_shared: Option<OnOff>,
}

/// A finished command: the protocol result for `--json`, lines for people.
struct Done {
    json: Value,
    text: Vec<String>,
}

impl Done {
    fn new(json: Value, text: Vec<String>) -> Done {
        Done { json, text }
    }
}

impl TokenCommand {
    fn opts(&self) -> &TokenOpts {
        match self {
            TokenCommand::Device {
                command: DeviceCmd::List(o),
            }
            | TokenCommand::PairingCode(o)
            | TokenCommand::Recycle(o)
            | TokenCommand::Puk {
                command: PukCmd::Show(o),
            }
            | TokenCommand::Cache {
                command: CacheCmd::Clear(o),
            } => o,
            TokenCommand::Personalize(a) => &a.opts,
            TokenCommand::Pin { command } => match command {
                PinCmd::Verify(o) | PinCmd::Change(o) | PinCmd::Lock(o) | PinCmd::Status(o) => o,
                PinCmd::Unblock(a) => &a.opts,
                PinCmd::Policy(a) => match &a.action {
                    None => &a.opts,
                    Some(PolicyCmd::Show(o)) => o,
                    Some(PolicyCmd::Set(s)) => &s.opts,
                },
            },
        }
    }
}

/// `tessera devices`: the same as `tessera device list --json`.
pub fn run_devices(mut opts: TokenOpts) -> ExitCode {
    opts.json = true;
    run(TokenCommand::Device {
        command: DeviceCmd::List(opts),
    })
}

/// Prints to stdout; a closed stdout (`| head`) is not an error worth a panic.
pub(crate) fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

pub(crate) fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => say(&s),
        Err(e) => eprintln!("tessera: cannot print JSON: {e}"),
    }
}

/// Runs a device verb; exit 0 done, 1 failed, 2 bad usage.
pub fn run(command: TokenCommand) -> ExitCode {
    let json = command.opts().json;
    match execute(&command) {
        Ok(done) => {
            if json {
                print_json(&done.json);
            } else {
                for line in done.text {
                    say(&line);
                }
            }
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(m)) => {
            eprintln!("tessera: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Error(body, human)) => {
            if json {
                print_json(&body);
            }
            eprintln!("tessera: {human}");
            ExitCode::FAILURE
        }
    }
}

fn execute(command: &TokenCommand) -> Result<Done, Failure> {
    let opts = command.opts();
    let mut host = Host::open(opts)?;
    let mut p = Prompter::new();
    let h = &mut host;
    match command {
        TokenCommand::Device {
            command: DeviceCmd::List(o),
        } => list(h, o),
        TokenCommand::Pin { command } => match command {
            PinCmd::Verify(o) => verify(h, &mut p, o),
            PinCmd::Change(o) => change(h, &mut p, o),
            PinCmd::Unblock(a) => unblock(h, &mut p, a),
            PinCmd::Policy(a) => match &a.action {
                None => policy_show(h, &a.opts),
                Some(PolicyCmd::Show(o)) => policy_show(h, o),
                Some(PolicyCmd::Set(s)) => policy_set(h, s),
            },
            PinCmd::Lock(o) => lock(h, o),
            PinCmd::Status(o) => status(h, o),
        },
        TokenCommand::Puk {
            command: PukCmd::Show(o),
        } => puk_show(h, &mut p, o),
        TokenCommand::PairingCode(o) => pairing_code(h, &mut p, o),
        TokenCommand::Cache {
            command: CacheCmd::Clear(_),
        } => cache_clear(h),
        TokenCommand::Recycle(o) => recycle(h, &mut p, o),
        TokenCommand::Personalize(a) => personalize(h, &mut p, a),
    }
}

fn decode<T: serde::de::DeserializeOwned>(method: &str, value: &Value) -> Result<T, Failure> {
    serde_json::from_value(value.clone()).map_err(|e| {
        Failure::error(
            ErrorBody::new(
                ErrorCode::Internal,
                format!("unreadable {method} result: {e}"),
            ),
            format!("unreadable {method} result: {e}. This is a bug in Tessera; please report it."),
        )
    })
}

fn device(t: &Target) -> DeviceParams {
    DeviceParams {
        device: t.info.id.clone(),
    }
}

/// The token lacks `feature`: said before anything is asked or sent (the
/// handler refuses it too).
fn require(t: &Target, feature: Feature) -> Result<(), Failure> {
    if t.has(feature) {
        return Ok(());
    }
    let name = serde_json::to_value(feature)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let can: Vec<&str> = t.info.features.iter().map(|f| text::feature(*f)).collect();
    Err(Failure::error(
        ErrorBody::new(
            ErrorCode::NotSupported,
            format!("this token does not support {name}"),
        )
        .with("feature", name),
        format!(
            "this token ({}, {}) does not support {}. It can: {}.",
            t.model,
            t.info.id,
            text::feature(feature),
            if can.is_empty() {
                "nothing Tessera manages".to_owned()
            } else {
                can.join(", ")
            }
        ),
    ))
}

fn must_change_note(t: &Target) {
    if t.info.must_change_pin {
        eprintln!(
            "tessera: note: the PIN policy requires a new PIN before anything else; change it \
             with `tessera pin change`."
        );
    }
}

/// Asks for the current PIN: refuses a blocked PIN, and asks for explicit
/// confirmation before the last try.
fn ask_pin(p: &mut Prompter, t: &Target, prompt: &str) -> Result<Secret, Failure> {
    match t.pin() {
        Some(PinStatus::Blocked) => {
            return Err(text::failure(
                ErrorBody::new(ErrorCode::PinBlocked, "the PIN is blocked"),
                Ctx::Pin,
            ))
        }
        Some(PinStatus::Locked {
            tries_left: Some(1),
        }) => {
            let answer = p.line(
                "One try left: a wrong PIN now blocks the PIN. Type yes to go on",
                "confirmation",
            )?;
            if !answer.trim().eq_ignore_ascii_case("yes") {
                return Err(Failure::error(
                    ErrorBody::new(ErrorCode::BadInput, "the last try was not confirmed")
                        .with("field", "confirmation"),
                    "the last try was not confirmed; nothing was sent to the token. Run the \
                     command again and type yes, or unblock the PIN first with \
                     `tessera pin unblock`.",
                ));
            }
        }
        _ => {}
    }
    p.secret(prompt, "PIN")
}

/// The PIN when the lock is closed (operations that need it); none when open.
fn pin_if_locked(p: &mut Prompter, t: &Target, prompt: &str) -> Result<Option<Secret>, Failure> {
    if t.pin() == Some(PinStatus::Verified) {
        Ok(None)
    } else {
        ask_pin(p, t, prompt).map(Some)
    }
}

/// The policy in force and the card's limits, when the token has policies.
fn policy_info(h: &mut Host, t: &Target) -> Option<PolicyInfo> {
    if !t.has(Feature::PinPolicy) {
        return None;
    }
    let v = h.call("pin.policy.get", json!(device(t))).ok()?;
    serde_json::from_value(v).ok()
}

fn new_pin_prompt(policy: Option<&PinPolicy>) -> String {
    match policy {
        Some(p) => format!("New PIN ({})", text::rules(p)),
        None => "New PIN".to_owned(),
    }
}

fn status_of(method: &str, v: &Value) -> Result<PinStatus, Failure> {
    decode(method, v)
}

fn list(h: &mut Host, o: &TokenOpts) -> Result<Done, Failure> {
    let (mut value, list) = h.list()?;
    if list.pcsc.state != tessera_core::protocol::PcscState::Ok && !o.json {
        return Err(text::no_service(&list));
    }
    let mut readers = list.readers;
    if let Some(wanted) = &o.device {
        let keep = |name: &str, id: Option<&str>| name == wanted || id == Some(wanted.as_str());
        readers.retain(|r| {
            keep(
                &r.name,
                r.card
                    .as_ref()
                    .and_then(|c| c.token.as_ref())
                    .map(|t| t.id.as_str()),
            )
        });
        if readers.is_empty() {
            return Err(text::failure(
                ErrorBody::new(
                    ErrorCode::DeviceNotFound,
                    format!("no token {wanted:?} is connected"),
                )
                .with("device", wanted.as_str()),
                Ctx::Pin,
            ));
        }
        value["readers"] = serde_json::to_value(&readers).unwrap_or_default();
    }
    let mut lines = vec![];
    if readers.is_empty() {
        lines.push(
            "No smart-card readers. Connect a token (or try the virtual one with --virtual)."
                .to_owned(),
        );
    }
    for r in &readers {
        match &r.card {
            None => lines.push(format!("{}: no token", r.name)),
            Some(card) => match &card.token {
                None => lines.push(format!(
                    "{}: {} (ATR {}): not recognised; Tessera cannot manage it",
                    r.name, card.model.name, card.atr
                )),
                Some(t) => {
                    lines.push(format!("{}: {}", r.name, card.model.name));
                    let mut state = format!("  id {}", t.id);
                    if let Some(s) = &t.pin {
                        state.push_str(&format!(" · lock {}", text::lock(s)));
                    }
                    if t.must_change_pin {
                        state.push_str(" · PIN change required (`tessera pin change`)");
                    }
                    if t.managed {
                        state.push_str(" · managed by your organisation");
                    }
                    lines.push(state);
                    let can: Vec<&str> = t.features.iter().map(|f| text::feature(*f)).collect();
                    lines.push(format!(
                        "  can: {}",
                        if can.is_empty() {
                            "nothing Tessera manages".to_owned()
                        } else {
                            can.join(", ")
                        }
                    ));
                }
            },
        }
    }
    Ok(Done::new(value, lines))
}

fn verify(h: &mut Host, p: &mut Prompter, o: &TokenOpts) -> Result<Done, Failure> {
    let t = h.target(o.device.as_deref())?;
    require(&t, Feature::Authenticate)?;
    must_change_note(&t);
    let pin = ask_pin(p, &t, "PIN")?;
    let params = DevicePinParams {
        device: t.info.id.clone(),
        pin: Some(pin),
    };
    let v = h.call_typed("pin.verify", &params, Ctx::Pin)?;
    let s = status_of("pin.verify", &v)?;
    Ok(Done::new(
        v,
        vec![format!("PIN verified. {}", text::lock_line(&s))],
    ))
}

fn status(h: &mut Host, o: &TokenOpts) -> Result<Done, Failure> {
    let t = h.target(o.device.as_deref())?;
    let v = h.call_typed("pin.status", &device(&t), Ctx::Pin)?;
    let s = status_of("pin.status", &v)?;
    let mut lines = vec![format!(
        "{} ({}): {}",
        t.info.id,
        t.model,
        text::lock_line(&s)
    )];
    if t.info.must_change_pin {
        lines
            .push("The PIN policy requires a new PIN: change it with `tessera pin change`.".into());
    }
    Ok(Done::new(v, lines))
}

fn lock(h: &mut Host, o: &TokenOpts) -> Result<Done, Failure> {
    let t = h.target(o.device.as_deref())?;
    require(&t, Feature::Authenticate)?;
    let v = h.call_typed("pin.lock", &device(&t), Ctx::Pin)?;
    let s = status_of("pin.lock", &v)?;
    Ok(Done::new(
        v,
        vec![format!("Locked. {}", text::lock_line(&s))],
    ))
}

fn change(h: &mut Host, p: &mut Prompter, o: &TokenOpts) -> Result<Done, Failure> {
    let t = h.target(o.device.as_deref())?;
    require(&t, Feature::ChangePin)?;
    let policy = policy_info(h, &t).map(|i| i.policy);
    let old = ask_pin(p, &t, "Current PIN")?;
    let new = p.new_pin(&new_pin_prompt(policy.as_ref()))?;
    let params = PinChangeParams {
        device: t.info.id.clone(),
        old,
        new,
    };
    let v = h.call_typed("pin.change", &params, Ctx::Pin)?;
    let s = status_of("pin.change", &v)?;
    Ok(Done::new(
        v,
        vec![format!("PIN changed. {}", text::lock_line(&s))],
    ))
}

fn unblock(h: &mut Host, p: &mut Prompter, a: &UnblockArgs) -> Result<Done, Failure> {
    let t = h.target(a.opts.device.as_deref())?;
    let method = match a.method {
        Some(m) => m,
        None if t.has(Feature::UnblockAdminKey) => UnblockArg::AdminKey,
        None if t.has(Feature::UnblockPuk) => UnblockArg::Puk,
        None => {
            require(&t, Feature::UnblockPuk)?;
            UnblockArg::Puk
        }
    };
    let policy = policy_info(h, &t).map(|i| i.policy);
    let (method, ctx) = match method {
        UnblockArg::AdminKey => {
            require(&t, Feature::UnblockAdminKey)?;
            let key = p.secret(
                "Admin key (hex: 32 digits for AES-128, 48 for TDES)",
                "admin key",
            )?;
            (UnblockMethod::AdminKey { key }, Ctx::AdminKey)
        }
        UnblockArg::Puk => {
            require(&t, Feature::UnblockPuk)?;
            let puk = p.secret("PUK", "PUK")?;
            (UnblockMethod::Puk { puk }, Ctx::Puk)
        }
        UnblockArg::Response => {
            require(&t, Feature::UnblockChallenge)?;
            let v = h.call_typed("pin.unblock.challenge", &device(&t), Ctx::Response)?;
            let c: UnblockChallenge = decode("pin.unblock.challenge", &v)?;
            eprintln!(
                "Challenge for your helpdesk: {}\n\
                 Read it to them; they answer with a response in hex.",
                c.challenge
            );
            let response = p.secret("Helpdesk response (hex)", "response")?;
            (UnblockMethod::Response { response }, Ctx::Response)
        }
    };
    let new = p.new_pin(&new_pin_prompt(policy.as_ref()))?;
    let params = PinUnblockParams {
        device: t.info.id.clone(),
        method,
        new,
    };
    let v = h.call_typed("pin.unblock", &params, ctx)?;
    let s = status_of("pin.unblock", &v)?;
    Ok(Done::new(
        v,
        vec![format!(
            "PIN unblocked; the new PIN is set. {}",
            text::lock_line(&s)
        )],
    ))
}

fn limits_line(i: &PolicyInfo) -> String {
    format!(
        "Card limits (always win): {}–{} characters, {}",
        i.limits.min_len,
        i.limits.max_len,
        if i.limits.numeric_only {
            "digits only"
        } else {
            "any printable characters"
        }
    )
}

fn policy_show(h: &mut Host, o: &TokenOpts) -> Result<Done, Failure> {
    let t = h.target(o.device.as_deref())?;
    require(&t, Feature::PinPolicy)?;
    let v = h.call_typed("pin.policy.get", &device(&t), Ctx::Pin)?;
    let info: PolicyInfo = decode("pin.policy.get", &v)?;
    let mut lines = vec![format!("PIN policy of {} ({}):", t.info.id, t.model)];
    lines.extend(text::policy_lines(&info.policy));
    lines.push(limits_line(&info));
    Ok(Done::new(v, lines))
}

fn policy_set(h: &mut Host, s: &PolicySetArgs) -> Result<Done, Failure> {
    if !s.rules.any() {
        return Err(Failure::Usage(
            "nothing to set: give at least one of --min-len, --max-len, --charset, \
             --force-change, --challenge, --refuse-weak (see `tessera pin policy set --help`)"
                .into(),
        ));
    }
    let t = h.target(s.opts.device.as_deref())?;
    require(&t, Feature::PinPolicy)?;
    let v = h.call_typed("pin.policy.get", &device(&t), Ctx::Pin)?;
    let current: PolicyInfo = decode("pin.policy.get", &v)?;
    let wanted = s.rules.apply(current.policy.clone());
    let params = PinPolicySetParams {
        device: t.info.id.clone(),
        policy: wanted.clone(),
    };
    let v = h.call_typed("pin.policy.set", &params, Ctx::Pin)?;
    let saved: PolicyInfo = decode("pin.policy.set", &v)?;
    let mut lines = vec![format!("PIN policy saved for {} ({}):", t.info.id, t.model)];
    lines.extend(text::policy_lines(&saved.policy));
    if saved.policy != wanted {
        lines.push(format!(
            "Some values were narrowed to the card's limits. {}",
            limits_line(&saved)
        ));
    }
    if saved.policy.force_change && !current.policy.force_change {
        lines.push("The next use demands a new PIN (`tessera pin change`).".into());
    }
    Ok(Done::new(v, lines))
}

fn puk_show(h: &mut Host, p: &mut Prompter, o: &TokenOpts) -> Result<Done, Failure> {
    let t = h.target(o.device.as_deref())?;
    require(&t, Feature::ViewPuk)?;
    must_change_note(&t);
    let params = DevicePinParams {
        device: t.info.id.clone(),
        pin: pin_if_locked(p, &t, "PIN")?,
    };
    let v = h.call_typed("puk.show", &params, Ctx::Pin)?;
    let r: PukResult = decode("puk.show", &v)?;
    Ok(Done::new(v, vec![format!("PUK: {}", r.puk.expose())]))
}

fn pairing_code(h: &mut Host, p: &mut Prompter, o: &TokenOpts) -> Result<Done, Failure> {
    let t = h.target(o.device.as_deref())?;
    require(&t, Feature::PairingCode)?;
    must_change_note(&t);
    let params = DevicePinParams {
        device: t.info.id.clone(),
        pin: pin_if_locked(p, &t, "PIN")?,
    };
    let v = h.call_typed("pairing_code.get", &params, Ctx::Pin)?;
    let r: PairingCode = decode("pairing_code.get", &v)?;
    Ok(Done::new(
        v,
        vec![format!("Pairing code: {}", r.code.expose())],
    ))
}

fn cache_clear(h: &mut Host) -> Result<Done, Failure> {
    let v = h
        .call("cache.clear", json!({}))
        .map_err(|e| text::failure(e, Ctx::Pin))?;
    Ok(Done::new(
        v,
        vec!["Cache cleared: Tessera reads the tokens again on next use.".into()],
    ))
}

/// Asks for the typed confirmation (the device id). `Err` carries what was
/// typed when it does not match, for the handler to refuse.
fn confirm(p: &mut Prompter, t: &Target, what: &str) -> Result<Result<String, String>, Failure> {
    eprintln!(
        "{what} erases everything on {} {} ({}): keys, certificates, OATH accounts, PIN and PUK.",
        t.model, t.info.id, t.reader
    );
    let typed = p.line(
        &format!("Type the device id {} to confirm", t.info.id),
        "confirmation",
    )?;
    let typed = typed.trim().to_owned();
    Ok(if typed == t.info.id {
        Ok(typed)
    } else {
        Err(typed)
    })
}

fn recycle(h: &mut Host, p: &mut Prompter, o: &TokenOpts) -> Result<Done, Failure> {
    let t = h.target(o.device.as_deref())?;
    require(&t, Feature::Recycle)?;
    let (confirm, pin) = match confirm(p, &t, "Recycling")? {
        // A mismatch goes to the handler without a PIN: it refuses before
        // anything is sent, with the protocol's own error.
        Err(typed) => (typed, None),
        Ok(typed) => (typed, pin_if_locked(p, &t, "Current PIN")?),
    };
    let params = RecycleParams {
        device: t.info.id.clone(),
        confirm,
        pin,
    };
    let v = h.call_typed("device.recycle", &params, Ctx::Pin)?;
    Ok(Done::new(
        v,
        vec![
            format!(
                "Device {} recycled: it is back in factory state, with the factory PIN and \
                 admin key.",
                t.info.id
            ),
            "Set your own PIN with `tessera personalize` (or `tessera pin change`).".into(),
        ],
    ))
}

fn personalize(h: &mut Host, p: &mut Prompter, a: &PersonalizeArgs) -> Result<Done, Failure> {
    let t = h.target(a.opts.device.as_deref())?;
    require(&t, Feature::Personalize)?;
    let v = h.call_typed("pin.policy.get", &device(&t), Ctx::Pin)?;
    let info: PolicyInfo = decode("pin.policy.get", &v)?;
    let base = if a.recycle {
        PinPolicy::from_limits(info.limits)
    } else {
        info.policy.clone()
    };
    let mut policy = a.rules.apply(base);
    if let Some(f) = a.fido_shared {
        policy.fido_shared = f.get();
    }
    let effective = policy.effective(info.limits);
    let (confirm, pin) = if a.recycle {
        match confirm(p, &t, "Personalizing with --recycle")? {
            Err(typed) => (Some(typed), None),
            Ok(typed) => (Some(typed), pin_if_locked(p, &t, "Current PIN")?),
        }
    } else {
        (None, Some(ask_pin(p, &t, "Current PIN")?))
    };
    let mismatch = a.recycle && confirm.as_deref() != Some(t.info.id.as_str());
    let new_pin = if mismatch {
        // Refused by the handler on the confirmation, before the new PIN matters.
        Secret::new("")
    } else {
        let new = p.new_pin(&new_pin_prompt(Some(&effective)))?;
        // Checked here too: with --recycle the token is reset before the
        // host checks the new PIN (the policy rule is the core's own).
        let violations = effective.check(new.expose(), None);
        if !violations.is_empty() {
            return Err(text::failure(
                ErrorBody::new(
                    ErrorCode::PinPolicy,
                    "the new PIN does not meet the PIN policy",
                )
                .with(
                    "violations",
                    serde_json::to_value(&violations).unwrap_or_default(),
                ),
                Ctx::Pin,
            ));
        }
        new
    };
    let params = PersonalizeParams {
        device: t.info.id.clone(),
        recycle: a.recycle,
        confirm,
        pin,
        policy,
        new_pin,
    };
    let v = h.call_typed("device.personalize", &params, Ctx::Pin)?;
    let r: PukResult = decode("device.personalize", &v)?;
    Ok(Done::new(
        v,
        vec![
            format!(
                "Device {} personalized: PIN policy saved and the new PIN set.",
                t.info.id
            ),
            format!("PUK: {}", r.puk.expose()),
            "Store this PUK safely; it is shown only once.".into(),
        ],
    ))
}
