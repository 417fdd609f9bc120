//! Request workers: one thread per token, so an operation that waits (a touch,
//! a replug) on one key never holds up requests for another key or the
//! session's own requests (`hello`, `devices.list`), while requests for one
//! token still run one after another in the order they arrived.

use std::collections::HashMap;
use std::sync::mpsc::{channel, Sender};
use std::thread::Scope;

use tessera_core::protocol::{HostMessage, Request};

use crate::router::Router;
use crate::server::Outbox;

/// At most this many token queues per session; requests naming further
/// devices (none exist on a real desk) are served on the reader thread.
const MAX_QUEUES: usize = 16;

/// Routes requests to per-token queues.
pub struct Workers<'scope, 'env> {
    scope: &'scope Scope<'scope, 'env>,
    router: &'env Router,
    outbox: Outbox,
    queues: HashMap<String, Sender<Request>>,
}

impl<'scope, 'env> Workers<'scope, 'env> {
    /// Workers spawned in `scope`, answering through `outbox`.
    pub fn new(scope: &'scope Scope<'scope, 'env>, router: &'env Router, outbox: Outbox) -> Self {
        Workers {
            scope,
            router,
            outbox,
            queues: HashMap::new(),
        }
    }

    /// Serves `request`: on its token's worker when it names a device
    /// (`params.device`), here otherwise.
    pub fn submit(&mut self, request: Request) {
        let key = request
            .params
            .get("device")
            .and_then(|d| d.as_str())
            .map(str::to_owned);
        let Some(key) =
            key.filter(|k| self.queues.contains_key(k) || self.queues.len() < MAX_QUEUES)
        else {
            let outbox = &self.outbox;
            outbox.send(HostMessage::Response(
                self.router
                    .dispatch_with_events(request, &|event| outbox.send(HostMessage::Event(event))),
            ));
            return;
        };
        let (router, outbox, scope) = (self.router, &self.outbox, self.scope);
        let queue = self.queues.entry(key).or_insert_with(|| {
            let (tx, rx) = channel::<Request>();
            let outbox = outbox.clone();
            scope.spawn(move || {
                for request in rx {
                    let response = router.dispatch_with_events(request, &|event| {
                        outbox.send(HostMessage::Event(event))
                    });
                    outbox.send(HostMessage::Response(response));
                }
            });
            tx
        });
        if let Err(returned) = queue.send(request) {
            // The worker is gone (it cannot panic: dispatch catches panics);
            // serve here rather than drop the request.
            let outbox = &self.outbox;
            outbox.send(HostMessage::Response(
                self.router.dispatch_with_events(returned.0, &|event| {
                    outbox.send(HostMessage::Event(event))
                }),
            ));
        }
    }
}
