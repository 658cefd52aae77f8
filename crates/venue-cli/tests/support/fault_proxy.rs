//! A TCP proxy between a console and its hub that breaks connections on demand: drops them,
//! delays them, cuts a response after K bytes, or resets them (RST). The fault is switched while
//! the proxy runs, for the next N connections or for all of them.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bytes go through untouched.
    Pass,
    /// The connection is closed as soon as it is accepted: nothing reaches the hub.
    Drop,
    /// Every chunk, either way, waits this long first.
    Delay(Duration),
    /// The request reaches the hub; its response is cut after this many bytes (then closed).
    Truncate(usize),
    /// The request reaches the hub; when its response starts, the console's side is reset
    /// (SO_LINGER 0, then closed: an RST, not a FIN).
    Reset,
}

struct Plan {
    fault: Fault,
    /// Connections still to get the fault; None: every one until switched.
    remaining: Option<u64>,
}

struct Shared {
    plan: Mutex<Plan>,
    upstream: Mutex<SocketAddr>,
    accepted: AtomicU64,
    faulted: AtomicU64,
}

impl Shared {
    /// The fault for a new connection, counting it down.
    fn take(&self) -> Fault {
        let mut plan = self.plan.lock().expect("plan");
        match plan.remaining {
            None => plan.fault,
            Some(0) => Fault::Pass,
            Some(n) => {
                plan.remaining = Some(n - 1);
                plan.fault
            }
        }
    }
}

/// The proxy, listening on `addr` until dropped.
pub struct FaultProxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

impl FaultProxy {
    /// A proxy on a free loopback port to `upstream`, passing everything at first.
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let shared = Arc::new(Shared {
            plan: Mutex::new(Plan {
                fault: Fault::Pass,
                remaining: None,
            }),
            upstream: Mutex::new(upstream),
            accepted: AtomicU64::new(0),
            faulted: AtomicU64::new(0),
        });
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let accepting = shared.clone();
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, accepting.clone()));
            }
        });
        FaultProxy {
            addr,
            shared,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// From now on, every new connection gets `fault`.
    pub fn set(&self, fault: Fault) {
        *self.shared.plan.lock().expect("plan") = Plan {
            fault,
            remaining: None,
        };
    }

    /// The next `connections` new connections get `fault`, the ones after pass.
    pub fn set_for(&self, fault: Fault, connections: u64) {
        *self.shared.plan.lock().expect("plan") = Plan {
            fault,
            remaining: Some(connections),
        };
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections dropped, cut or reset so far (a delay is not counted).
    pub fn faulted(&self) -> u64 {
        self.shared.faulted.load(Ordering::SeqCst)
    }
}

/// How a connection's response side ended.
enum Ending {
    Closed,
    Reset,
}

async fn relay(mut client: TcpStream, shared: Arc<Shared>) {
    shared.accepted.fetch_add(1, Ordering::SeqCst);
    let fault = shared.take();
    if fault == Fault::Drop {
        shared.faulted.fetch_add(1, Ordering::SeqCst);
        return; // dropped: closed with nothing said
    }
    let upstream_addr = *shared.upstream.lock().expect("upstream");
    let Ok(mut upstream) = TcpStream::connect(upstream_addr).await else {
        let _ = client.set_zero_linger();
        return; // the hub is down: as a refused connection would, reset
    };
    let delay = match fault {
        Fault::Delay(d) => Some(d),
        _ => None,
    };
    let ending = {
        let (mut client_read, mut client_write) = client.split();
        let (mut hub_read, mut hub_write) = upstream.split();
        let requests = async {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match client_read.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if let Some(d) = delay {
                            tokio::time::sleep(d).await;
                        }
                        if hub_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = hub_write.shutdown().await;
            // The response side decides when the connection ends.
            std::future::pending::<()>().await;
        };
        let responses = async {
            let mut buf = vec![0u8; 16 * 1024];
            let mut sent = 0usize;
            loop {
                let n = match hub_read.read(&mut buf).await {
                    Ok(0) | Err(_) => return Ending::Closed,
                    Ok(n) => n,
                };
                match fault {
                    Fault::Reset => {
                        shared.faulted.fetch_add(1, Ordering::SeqCst);
                        return Ending::Reset;
                    }
                    Fault::Truncate(limit) => {
                        let room = limit.saturating_sub(sent).min(n);
                        let _ = client_write.write_all(&buf[..room]).await;
                        sent += room;
                        if sent >= limit {
                            shared.faulted.fetch_add(1, Ordering::SeqCst);
                            let _ = client_write.shutdown().await;
                            return Ending::Closed;
                        }
                    }
                    _ => {
                        if let Some(d) = delay {
                            tokio::time::sleep(d).await;
                        }
                        if client_write.write_all(&buf[..n]).await.is_err() {
                            return Ending::Closed;
                        }
                    }
                }
            }
        };
        tokio::select! {
            ending = responses => ending,
            _ = requests => Ending::Closed,
        }
    };
    if let Ending::Reset = ending {
        let _ = client.set_zero_linger();
    }
    drop(client);
    drop(upstream);
}
