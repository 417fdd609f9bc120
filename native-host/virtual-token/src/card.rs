//! `VirtualCard`: SELECT routing, command chaining, response chaining (61xx +
//! GET RESPONSE), power, and card-global state (ISO/IEC 7816-4 §5.1.1, §7.1.1).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::apdu::{Command, Status};
use crate::applet::{Applet, CardRequest, Env, Interface, PinState, Security};
use crate::platform::{Platform, Press};

/// Everything persistent about a card: what the state file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardState {
    /// Always [`STATE_KIND`]: tells our files from foreign ones.
    pub kind: String,
    /// State format version.
    pub format: u32,
    /// Profile the state belongs to (`crescendo-key`, `ykoath`).
    pub profile: String,
    /// The card PIN.
    pub pin: PinState,
    /// Each applet's persistent state, by applet name.
    pub applets: BTreeMap<String, Value>,
}

/// What a button press did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pressed {
    /// It completed a wait for presence (nothing typed).
    Presence,
    /// It typed this many keys (0: the action is "nothing" or cannot run).
    Typed(usize),
}

/// Marker in every state file.
pub const STATE_KIND: &str = "tessera-virtual-token";
/// Current state format.
pub const STATE_FORMAT: u32 = 1;

struct Pending {
    data: Vec<u8>,
    ins: u8,
}

struct Chain {
    header: [u8; 4],
    data: Vec<u8>,
}

/// A card: applets behind one ATR, with the platform they share.
pub struct VirtualCard {
    profile: String,
    atr: Vec<u8>,
    platform: Platform,
    applets: Vec<Box<dyn Applet>>,
    pin: PinState,
    factory_pin: PinState,
    security: Security,
    selected: Option<usize>,
    powered: bool,
    power_on_at: Duration,
    interface: Interface,
    pending: Option<Pending>,
    chain: Option<Chain>,
    dirty: bool,
}

impl VirtualCard {
    /// A powered-on card in factory state.
    pub fn new(
        profile: &str,
        atr: Vec<u8>,
        platform: Platform,
        pin: PinState,
        applets: Vec<Box<dyn Applet>>,
    ) -> VirtualCard {
        let mut card = VirtualCard {
            profile: profile.to_owned(),
            atr,
            platform,
            applets,
            factory_pin: pin.clone(),
            pin,
            security: Security::default(),
            selected: None,
            powered: false,
            power_on_at: Duration::ZERO,
            interface: Interface::Contact,
            pending: None,
            chain: None,
            dirty: false,
        };
        card.power_on();
        card
    }

    /// The profile name.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// Answer to reset.
    pub fn atr(&self) -> &[u8] {
        &self.atr
    }

    /// The platform (clock, button).
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// Whether the card is powered.
    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// Power on (insertion, field on). Starts the power-on timer.
    pub fn power_on(&mut self) {
        if !self.powered {
            self.powered = true;
            self.power_on_at = self.platform.now();
        }
    }

    /// Power off (removal): all volatile state is lost.
    pub fn power_off(&mut self) {
        for a in &mut self.applets {
            a.power_off();
        }
        self.security = Security::default();
        self.selected = None;
        self.pending = None;
        self.chain = None;
        self.platform.button.cancel();
        self.powered = false;
    }

    /// Unplug: every applet loses power, including those that outlive an ICC
    /// power-off (FIDO on a USB key).
    pub fn unplug(&mut self) {
        for a in &mut self.applets {
            a.unplug();
        }
        self.power_off();
    }

    /// Warm reset: like power off + on.
    pub fn reset(&mut self) {
        self.power_off();
        self.power_on();
    }

    /// Sets the interface later commands arrive on.
    pub fn set_interface(&mut self, interface: Interface) {
        self.interface = interface;
    }

    /// Whether persistent state changed since the last call (then save it).
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Persistent state.
    pub fn save_state(&self) -> CardState {
        CardState {
            kind: STATE_KIND.to_owned(),
            format: STATE_FORMAT,
            profile: self.profile.clone(),
            pin: self.pin.clone(),
            applets: self
                .applets
                .iter()
                .map(|a| (a.name().to_owned(), a.save()))
                .collect(),
        }
    }

    /// Restores persistent state (the card keeps factory values for applets the
    /// state does not mention).
    pub fn load_state(&mut self, state: CardState) -> Result<(), String> {
        if state.kind != STATE_KIND || state.format != STATE_FORMAT {
            return Err(format!(
                "not a Tessera virtual-token state (kind {:?}, format {})",
                state.kind, state.format
            ));
        }
        if state.profile != self.profile {
            return Err(format!(
                "the state is for profile {:?}, not {:?}",
                state.profile, self.profile
            ));
        }
        let mut applets = state.applets;
        for a in &mut self.applets {
            if let Some(v) = applets.remove(a.name()) {
                a.load(v).map_err(|e| format!("applet {}: {e}", a.name()))?;
            }
        }
        self.pin = state.pin;
        Ok(())
    }

    /// The key's button is pressed. A press while an operation waits for
    /// presence (the LED blinks) completes that wait and types nothing
    /// (crescendo-apdu.md §5.8 rule 3); otherwise the applet owning the
    /// button's actions types what it is configured to (§5.1: slot 1's HOTP;
    /// the rest is emulator-defined, `applets/crescendo_oath/button.rs`).
    pub fn press(&mut self, press: Press) -> Pressed {
        if self.platform.button.is_waiting() {
            self.platform.button.press();
            return Pressed::Presence;
        }
        for index in 0..self.applets.len() {
            if let Some(keys) = self.with_env(index, |applet, env| applet.button_press(press, env))
            {
                self.platform.keyboard.type_keys(&keys);
                return Pressed::Typed(keys.len());
            }
        }
        Pressed::Typed(0)
    }

    /// Processes one command APDU; returns response data + SW1 SW2.
    pub fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        if let Some(&[cla, ins, p1, p2]) = apdu.first_chunk::<4>() {
            self.platform.apdus.record([cla, ins, p1, p2]);
        }
        let (mut data, status) = self.process(apdu);
        data.extend_from_slice(&status.to_bytes());
        data
    }

    fn process(&mut self, apdu: &[u8]) -> (Vec<u8>, Status) {
        if !self.powered {
            return (vec![], Status::CONDITIONS_NOT_SATISFIED);
        }
        let cmd = match Command::parse(apdu) {
            Ok(cmd) => cmd,
            Err(sw) => return (vec![], sw),
        };
        let response_ins = self
            .selected
            .map_or(0xC0, |i| self.applets[i].response_ins());
        if let Some(p) = self.pending.take() {
            if cmd.ins == response_ins && cmd.ins == p.ins {
                return self.chunk(p.data, cmd.le, p.ins);
            }
        }
        if cmd.ins == 0xC0 {
            // GET RESPONSE with nothing pending.
            return (vec![], Status::CONDITIONS_NOT_SATISFIED);
        }
        let cmd = match self.join_chain(cmd) {
            Some(cmd) => cmd,
            None => return (vec![], Status::SUCCESS),
        };
        // YKOATH CALCULATE ALL is `00 A4 00 01` (protocols.md §1.8): with an
        // applet selected, only P1 = 04 (select by name) is a SELECT.
        if cmd.ins == 0xA4 && cmd.cla & 0x80 == 0 && (cmd.p1 == 0x04 || self.selected.is_none()) {
            return self.select(&cmd);
        }
        let Some(index) = self.selected else {
            return (vec![], Status::INS_NOT_SUPPORTED);
        };
        let mut reply = vec![];
        let result = self.with_env(index, |applet, env| applet.call(&cmd, env, &mut reply));
        match result {
            Ok(()) => {
                let ins = self.applets[index].response_ins();
                self.chunk(reply, cmd.le, ins)
            }
            Err(sw) => (reply, sw),
        }
    }

    /// Joins CLA-chained blocks (b5 set) for applets that want whole commands.
    fn join_chain(&mut self, cmd: Command) -> Option<Command> {
        let joins = self
            .selected
            .is_none_or(|i| self.applets[i].card_joins_chains());
        if !joins {
            return Some(cmd);
        }
        let header = [cmd.cla & !0x10, cmd.ins, cmd.p1, cmd.p2];
        let mut data = match self.chain.take() {
            Some(chain) if chain.header == header => chain.data,
            _ => vec![],
        };
        data.extend_from_slice(&cmd.data);
        if cmd.is_chained() {
            self.chain = Some(Chain { header, data });
            return None;
        }
        Some(Command {
            cla: header[0],
            data,
            ..cmd
        })
    }

    fn select(&mut self, cmd: &Command) -> (Vec<u8>, Status) {
        if cmd.p1 != 0x04 {
            return (vec![], Status::NOT_FOUND);
        }
        let aid = &cmd.data;
        let found = (aid.len() >= 5)
            .then(|| self.applets.iter().position(|a| a.aid().starts_with(aid)))
            .flatten();
        let Some(index) = found else {
            return (vec![], Status::NOT_FOUND);
        };
        if let Some(prev) = self.selected.replace(index) {
            if prev != index {
                self.applets[prev].deselect();
            }
        }
        self.platform.button.cancel();
        let mut reply = vec![];
        match self.with_env(index, |applet, env| applet.select(env, &mut reply)) {
            Ok(()) => {
                let ins = self.applets[index].response_ins();
                self.chunk(reply, cmd.le, ins)
            }
            Err(sw) => {
                self.selected = None;
                (vec![], sw)
            }
        }
    }

    fn with_env<R>(&mut self, index: usize, f: impl FnOnce(&mut dyn Applet, &mut Env) -> R) -> R {
        let powered_for = self.platform.now().saturating_sub(self.power_on_at);
        let mut env = Env {
            platform: &mut self.platform,
            security: &mut self.security,
            pin: &mut self.pin,
            interface: self.interface,
            powered_for,
            dirty: false,
            requests: vec![],
        };
        let result = f(self.applets[index].as_mut(), &mut env);
        let (dirty, requests) = (env.dirty, env.requests);
        self.dirty |= dirty;
        for r in requests {
            match r {
                CardRequest::FactoryReset => self.factory_reset(),
            }
        }
        result
    }

    /// ACA RESET CARD (§3.8): PIN back to default, erasable applets wiped,
    /// security status dropped.
    fn factory_reset(&mut self) {
        self.pin = self.factory_pin.clone();
        self.security = Security::default();
        for a in &mut self.applets {
            if a.erased_by_card_reset() {
                a.factory_reset();
            }
        }
        self.dirty = true;
    }

    /// Splits a long response: first part + `61xx`, the rest kept for the
    /// applet's GET RESPONSE instruction `ins`.
    fn chunk(&mut self, mut data: Vec<u8>, le: Option<usize>, ins: u8) -> (Vec<u8>, Status) {
        let max = le.unwrap_or(256);
        if data.len() <= max {
            return (data, Status::SUCCESS);
        }
        let rest = data.split_off(max);
        let sw = Status::more_data(rest.len());
        self.pending = Some(Pending { data: rest, ins });
        (data, sw)
    }
}
