//! `dialtone serve`: the Twilio-compatible server.
//!
//! Start-up order matters: configuration is validated first (exit 2, nothing opened); then the
//! database is opened and migrated and the bootstrap account made sure of; then the socket is
//! bound; only then does the runtime start, because starting it ends the calls a dead process
//! left live in the database, and a second server that cannot bind (the port is taken, maybe
//! by a live first server on the same database) must not do that. The actual address is
//! printed on stdout (`--listen 127.0.0.1:0` picks a free port) with the credentials.
//! SIGINT/SIGTERM stop accepting connections, let requests in flight finish, then drain the
//! runtime (live calls ended, status callbacks delivered or left in the outbox).

mod control;
mod devices;
mod heard;
mod messaging;
mod ops;
mod simulator;
mod system;
mod templates;
mod tls;
mod whatsapp;

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use dialtone_api::{ApiState, router};
use dialtone_store::{Store, StoreError};
use dialtone_types::{Sid, SidKind};
use tokio::net::TcpListener;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::{self, AccountSource, EnvAccount, ServeArgs, ServeConfig};
use control::RuntimeControl;
use system::{OsEntropy, SystemClock};

/// Exit code for configuration errors (clap's usage errors use it too).
const EXIT_CONFIG: u8 = 2;

/// Something that stopped the server after its configuration was accepted.
#[derive(Debug, thiserror::Error)]
enum ServeError {
    #[error("the operating system's random number generator is unavailable: {0}")]
    Entropy(getrandom::Error),
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    WhatsApp(String),
    #[error("invalid [tts] configuration: {0}")]
    Prompts(String),
    #[error("{0}")]
    Recordings(#[from] dialtone_store::ObjectMediaError),
    #[error("cannot start the call runtime: {0}")]
    Runtime(#[from] dialtone_runtime::RuntimeError),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    #[error("Voice SDK: {0}")]
    VoiceSdk(String),
}

/// The key that seals API key secrets: configured, or kept in `{data_dir}/secret.key`
/// (generated on first start, mode 0600).
fn secret_key(config: &ServeConfig) -> Result<dialtone_store::SecretKey, ServeError> {
    if let Some(key) = &config.voice_sdk.secret_key {
        return Ok(key.clone());
    }
    let path = config.data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => dialtone_store::SecretKey::from_hex(&text).ok_or_else(|| {
            ServeError::VoiceSdk(format!(
                "{} is not 64 hex digits; restore it or set DIALTONE_SECRET_KEY",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = dialtone_store::SecretKey::generate()
                .map_err(|e| ServeError::VoiceSdk(e.to_string()))?;
            std::fs::create_dir_all(&config.data_dir)?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&path)?;
            file.write_all(key.to_hex().as_bytes())?;
            tracing::info!(path = %path.display(), "generated the key that seals API key secrets");
            Ok(key)
        }
        Err(e) => Err(ServeError::VoiceSdk(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// A non-empty environment variable.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Runs `dialtone serve` to completion.
pub fn main(args: &ServeArgs) -> ExitCode {
    let env = EnvAccount {
        sid: env_var("DIALTONE_ACCOUNT_SID"),
        token: env_var("DIALTONE_AUTH_TOKEN"),
    };
    let env_whatsapp = config::EnvWhatsApp::read(env_var);
    let config = match config::read_file(args.config.as_deref())
        .and_then(|file| config::resolve(args, file, env, env_whatsapp))
    {
        Ok(config) => config,
        Err(e) => {
            eprintln!("dialtone serve: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    init_tracing(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dialtone serve: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "dialtone serve failed");
            eprintln!("dialtone serve: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(filter: &str) {
    // `resolve` has already checked that the filter parses.
    let targets: tracing_subscriber::filter::Targets = filter.parse().unwrap_or_default();
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        )
        .with(targets)
        .try_init();
}

/// How the bootstrap account was obtained, for the banner.
enum Bootstrap {
    Configured(&'static str),
    Stored { token: String },
    Generated { token: String },
}

async fn bootstrap_account(
    store: &Store,
    source: &AccountSource,
    entropy: OsEntropy,
    clock: &SystemClock,
) -> Result<(Sid, Bootstrap), StoreError> {
    use dialtone_api::Clock as _;
    match source {
        AccountSource::Configured { sid, token, origin } => {
            store.ensure_account(*sid, token, clock.now()).await?;
            Ok((*sid, Bootstrap::Configured(origin)))
        }
        AccountSource::Generated => {
            if let Some(first) = store.list_accounts().await?.into_iter().next() {
                return Ok((
                    first.sid,
                    Bootstrap::Stored {
                        token: first.auth_token,
                    },
                ));
            }
            let sid = Sid::new(SidKind::Account, entropy.u128());
            let token = format!("{:032x}", entropy.u128());
            store.ensure_account(sid, &token, clock.now()).await?;
            Ok((sid, Bootstrap::Generated { token }))
        }
    }
}

/// Hands every account's voice-enabled WhatsApp senders (those with a voice application) to
/// the engine, which checks a `<Dial><WhatsApp>`'s `callerId` against them.
async fn load_whatsapp_senders(
    store: &Store,
    runtime: &dialtone_runtime::Handle,
) -> Result<(), ServeError> {
    let mut by_account: std::collections::BTreeMap<Sid, Vec<dialtone_types::E164>> =
        std::collections::BTreeMap::new();
    for sender in store.voice_senders(None).await? {
        let number = sender
            .sender_id
            .strip_prefix("whatsapp:")
            .and_then(|n| dialtone_types::E164::parse(n).ok());
        match number {
            Some(n) => by_account.entry(sender.account_sid).or_default().push(n),
            None => {
                tracing::warn!(sender = %sender.sid, "stored sender_id is not whatsapp:+E164; skipped");
            }
        }
    }
    for (account, senders) in by_account {
        runtime.set_whatsapp_senders(account, senders).await?;
    }
    Ok(())
}

async fn run(config: ServeConfig) -> Result<(), ServeError> {
    let entropy = OsEntropy::check().map_err(ServeError::Entropy)?;
    let clock = SystemClock;
    let store = Store::connect(&config.database_url)
        .await?
        .with_secret_key(secret_key(&config)?);
    let (account, bootstrap) = bootstrap_account(&store, &config.account, entropy, &clock).await?;

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
    let bound = listener.local_addr()?;
    let sdk_listener = match config.voice_sdk.listen {
        Some(addr) => {
            let tls =
                tls::server_config(config.voice_sdk.tls.as_ref()).map_err(ServeError::VoiceSdk)?;
            let tcp = TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::Bind { addr, source })?;
            Some(tls::TlsListener::new(tcp, tls)?)
        }
        None => None,
    };
    let recorder = match config.metrics {
        config::MetricsSettings::Disabled => None,
        _ => ops::install_recorder(),
    };
    let metrics_listener = match config.metrics {
        config::MetricsSettings::Listen(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::Bind { addr, source })?,
        ),
        _ => None,
    };
    let public_url = config.public_url.as_ref().map_or_else(
        || format!("http://{bound}"),
        |u| u.as_str().trim_end_matches('/').to_owned(),
    );

    let whatsapp = whatsapp::WhatsAppSetup::new(&config.whatsapp, bound, entropy)
        .map_err(ServeError::WhatsApp)?;
    // The connector always runs; in simulator mode its Graph requests go to the embedded
    // simulator, nested at `/sim/graph` on this server, whose webhooks come back to
    // `/webhooks/whatsapp` signed with the same (generated) app secret.
    // One log of what every simulated party hears: the WhatsApp users and the softphones.
    let heard = dialtone_media::heard::HeardLog::default();
    let simulator = match whatsapp.mode {
        config::WhatsAppMode::Meta => None,
        config::WhatsAppMode::Simulator => {
            let webhook_url = url::Url::parse(&whatsapp.webhook_url)
                .map_err(|e| ServeError::WhatsApp(format!("invalid webhook URL: {e}")))?;
            let sim_config = dialtone_sim::network::SimulatorConfig {
                heard: heard.clone(),
                ..dialtone_sim::network::SimulatorConfig::new(
                    webhook_url,
                    &whatsapp.connector.app_secret,
                    &whatsapp.access_token,
                )
            };
            Some(dialtone_sim::network::Simulator::new(
                sim_config,
                Arc::new(simulator::StoreSenders(store.clone())),
            ))
        }
    };
    let recordings = recording_store(&config).await?;
    let mut engine = dialtone_runtime::RuntimeConfig::default().engine;
    // RecordingUrl points at this server.
    engine.api_base_url = Arc::from(public_url.as_str());
    engine.cps = config.cps;
    let runtime_config = dialtone_runtime::RuntimeConfig {
        engine,
        recordings: Some(Arc::clone(&recordings)),
        whatsapp: Some(whatsapp.connector.clone()),
        prompts: Arc::new(
            dialtone_prompt::Prompts::new(config.prompts.clone())
                .map_err(|e| ServeError::Prompts(e.to_string()))?,
        ),
        bridge: if config.transcode_bridges {
            dialtone_runtime::BridgeMode::Transcode
        } else {
            dialtone_runtime::BridgeMode::Forward
        },
        ..dialtone_runtime::RuntimeConfig::default()
    };
    let runtime = dialtone_runtime::start(store.clone(), runtime_config).await?;
    runtime.softphones().set_heard_log(Some(heard.clone()));
    load_whatsapp_senders(&store, &runtime).await?;
    let limits = dialtone_api::Limits {
        max_call_requests: config.max_call_requests,
        ..dialtone_api::Limits::default()
    };
    let mut state = ApiState::new(
        store.clone(),
        Arc::new(RuntimeControl(runtime.clone())),
        Arc::new(clock),
        Arc::new(entropy),
    )
    .with_limits(limits)
    .with_recordings(recordings)
    .with_public_url(&public_url)
    .with_whatsapp_webhooks(Arc::new(whatsapp::WebhookReceiver(runtime.clone())))
    .with_simulated_parties(Arc::new(heard::HeardPort(heard)))
    .with_devices(Arc::new(devices::RuntimeDevices(runtime.clone())))
    .with_content_approvals(templates::approvals(&whatsapp, &config.simulator))
    .with_whatsapp_messaging(Arc::new(messaging::RuntimeMessaging {
        runtime: runtime.clone(),
        templates: simulator.as_ref().map(|_| {
            dialtone_runtime::MessageTemplates::new(
                whatsapp.connector.graph.clone(),
                whatsapp.connector.request_timeout,
            )
        }),
    }))
    .with_operations(Arc::new(ops::Ops {
        runtime: runtime.clone(),
        metrics: recorder.clone().filter(|_| metrics_listener.is_none()),
    }));
    let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
    if let (Some(listener), Some(handle)) = (metrics_listener, recorder) {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "metrics listening");
        }
        tokio::spawn(ops::serve_metrics(
            listener,
            runtime.clone(),
            handle,
            async move {
                let _ = metrics_stopped.await;
            },
        ));
    }
    if let Some(sim) = &simulator {
        state = state.with_whatsapp_simulator(Arc::new(simulator::SimulatorPort(sim.clone())));
    }
    let mut app = router(state);
    if let Some(sim) = &simulator {
        app = app.nest("/sim/graph", sim.graph_router());
    }

    let shutdown = shutdown_signal();
    let (stop_sdk, sdk_stopped) = tokio::sync::watch::channel(false);
    let sdk_bound = match sdk_listener {
        Some(sdk) => {
            let addr = axum::serve::Listener::local_addr(&sdk)?;
            let app = app.clone();
            let mut stopped = sdk_stopped.clone();
            tokio::spawn(async move {
                let _ = axum::serve(sdk, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await;
            });
            Some(addr)
        }
        None => None,
    };
    print_banner(
        bound,
        &public_url,
        account,
        &bootstrap,
        &config.database_url,
        sdk_bound,
    );
    match whatsapp.mode {
        config::WhatsAppMode::Meta => tracing::info!(
            webhook = %format!("{public_url}{}", dialtone_api::WHATSAPP_WEBHOOK_PATH),
            graph = %whatsapp.connector.graph.base_url(),
            "WhatsApp: Meta's Cloud API; point the app's calls webhook at this URL"
        ),
        config::WhatsAppMode::Simulator => tracing::info!(
            webhook = %whatsapp.webhook_url,
            graph = %whatsapp.connector.graph.base_url(),
            "WhatsApp: simulated network"
        ),
    }
    tracing::info!(%bound, "listening");

    // The peer address reaches handlers (the console counts failed sign-ins per address).
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    let _ = stop_sdk.send(true);
    tracing::info!("no longer accepting requests; draining live calls");
    runtime.shutdown().await;
    let _ = stop_metrics.send(());
    if let Some(sim) = &simulator {
        sim.shutdown().await;
    }
    store.close().await;
    served?;
    Ok(())
}

fn print_banner(
    bound: std::net::SocketAddr,
    public_url: &str,
    account: Sid,
    bootstrap: &Bootstrap,
    database_url: &str,
    sdk: Option<std::net::SocketAddr>,
) {
    let token = match bootstrap {
        Bootstrap::Configured(origin) => format!("(set by {origin})"),
        Bootstrap::Stored { token } => format!("{token}   (stored in the database)"),
        Bootstrap::Generated { token } => {
            format!("{token}   (generated now and stored in the database)")
        }
    };
    let database = match url::Url::parse(database_url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => database_url.to_owned(),
    };
    let mut out = std::io::stdout().lock();
    // stdout may be closed; the server runs on regardless.
    let _ = writeln!(
        out,
        "dialtone listening on http://{bound}\n\
         Public URL:  {public_url}\n\
         Account SID: {account}\n\
         Auth token:  {token}\n\
         Database:    {database}\n\
         Point a Twilio helper library at it: client.api.base_url = \"{public_url}\""
    );
    if let Some(sdk) = sdk {
        let _ = writeln!(
            out,
            "Voice SDK:   wss://{sdk}/signal   (Device option chunderw: \"{sdk}\")"
        );
    }
    let _ = out.flush();
}

/// Listens for SIGINT (Ctrl-C) and SIGTERM now, and resolves on the first of them.
///
/// The listeners are registered when this is called, not when the future is first polled:
/// it is called before the banner is printed, so a supervisor that sends SIGTERM as soon as
/// it has read the banner gets a graceful stop instead of the default action (death).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let listeners = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut interrupt, mut terminate) = listeners;
            let interrupt = async {
                match interrupt.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            let terminate = async {
                match terminate.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = interrupt => tracing::info!("SIGINT received"),
                () = terminate => tracing::info!("SIGTERM received"),
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            tracing::info!("Ctrl-C received");
        }
    }
}

/// The recording store the configuration names: files under the data directory, or a bucket
/// (checked now, so a wrong bucket or credential fails the start) spooled under it.
async fn recording_store(
    config: &ServeConfig,
) -> Result<Arc<dyn dialtone_store::RecordingStore>, ServeError> {
    Ok(match &config.recordings {
        config::RecordingsSettings::Fs => Arc::new(dialtone_store::FsRecordingStore::new(
            config.data_dir.join("recordings"),
        )),
        config::RecordingsSettings::S3(s3) => {
            let store = dialtone_store::ObjectRecordingStore::s3(
                s3,
                config.data_dir.join("recordings-spool"),
                dialtone_store::UploadRetry::default(),
            )
            .await?;
            tracing::info!(bucket = %s3.bucket, prefix = %s3.prefix, "recordings stored in S3");
            Arc::new(store)
        }
    })
}
