//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Release governance from evidence on disk: bundles, gates, docs, decisions.
#[derive(Parser)]
#[command(name = "tollgate", version, about, long_about = None)]
pub struct Cli {
    /// Workspace folder (default: the nearest ancestor holding tollgate.toml).
    #[arg(long, global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// text, json (as --json), github: workflow-command annotations (and
    /// the job summary in $GITHUB_STEP_SUMMARY), or sarif: a SARIF 2.1.0 log.
    /// github and sarif apply to bundle verify, gates, docs check, verify and
    /// release VERSION.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub format: Format,
    #[command(subcommand)]
    pub command: Command,
}

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
    Sarif,
}

#[derive(Subcommand)]
pub enum Command {
    /// Write a commented tollgate.toml for a profile.
    Init {
        /// statetrace or minimal.
        #[arg(long, default_value = "statetrace")]
        profile: String,
        /// Replace an existing tollgate.toml.
        #[arg(long)]
        force: bool,
    },
    /// Generate a demo workspace (StateTrace-shaped, or --profile generic) and run the pipeline on it.
    Demo(DemoArgs),
    /// Evidence bundles: publish, verify, show, list.
    #[command(subcommand)]
    Bundle(BundleCmd),
    /// Daily rollups of JSON-lines telemetry in the IngestionMetricsSummary CSV format.
    Rollup(RollupArgs),
    /// Evaluate the policy's release gates.
    Gates(GatesArgs),
    /// Governance documents.
    #[command(subcommand)]
    Docs(DocsCmd),
    /// Risk linkage of a release candidate.
    #[command(subcommand)]
    Risk(RiskCmd),
    /// Analyzers over raw telemetry.
    Analyze {
        #[command(subcommand)]
        kind: AnalyzeKind,
    },
    /// Run the verification: steps, gates, newest bundle, docs; write the summary.
    Verify {
        /// Unattended run: if another run holds the lock, exit 0 without running.
        #[arg(long)]
        scheduled: bool,
        /// Also write JUnit XML here: a testcase per step and gate, a failing one per other blocking finding.
        #[arg(long, value_name = "PATH")]
        junit: Option<PathBuf>,
        /// Replace an existing output file (evidence, releases, the ledger and the policy are never replaced).
        #[arg(long)]
        force: bool,
    },
    /// Decide a release and record its evidence; or show or sign one.
    Release(ReleaseArgs),
    /// Record an approval of a release.
    Approve {
        version: String,
        /// In what role (under an [approvals] policy, one of its roles).
        #[arg(long)]
        role: String,
        /// Who approves: the name of an unsigned approval (no [approvals]
        /// policy), or the principal to sign as (default: the key's).
        #[arg(long)]
        by: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Approve a Blocked release, for this reason (recorded).
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Waive one blocking gate or finding of a release, signed, with a
    /// reason and an expiry (needs an [approvals] policy and a waiver role).
    Waive {
        version: String,
        /// The gate to waive.
        #[arg(
            long,
            value_name = "ID",
            required_unless_present = "finding",
            conflicts_with = "finding"
        )]
        gate: Option<String>,
        /// The finding to waive, as CHECK:SUBJECT.
        #[arg(long, value_name = "CHECK:SUBJECT")]
        finding: Option<String>,
        #[arg(long)]
        reason: String,
        /// The last day the waiver counts (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD")]
        expires: String,
        #[arg(long)]
        role: String,
        /// The principal to sign as (default: the key's).
        #[arg(long)]
        by: Option<String>,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// The tamper-evident ledger.
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Scheduled verification: crontab line and systemd units.
    #[command(subcommand)]
    Schedule(ScheduleCmd),
    /// Signing keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Serve the dashboard live with a read-only JSON API.
    Serve {
        /// Address to bind (loopback by default; port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Also run the policy's verify.schedule in-process.
        #[arg(long)]
        schedule: bool,
    },
    /// Print shell completions: `tollgate completions bash > /etc/bash_completion.d/tollgate`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page, tollgate(1) in roff (`tollgate man > tollgate.1`),
    /// or write it and every subcommand's page into a new folder.
    Man {
        /// A folder that does not exist yet (or is empty) for tollgate.1 and tollgate-*.1.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Write the readiness dashboard, a self-contained index.html.
    Dashboard {
        /// Output folder (default: <reports>/dashboard).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Replace an existing output file (evidence, releases, the ledger and the policy are never replaced).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReleaseArgs {
    #[command(subcommand)]
    pub cmd: Option<ReleaseCmd>,
    /// The version to release (a folder name under the release-evidence path).
    pub version: Option<String>,
    /// The bundle (name, path or oci://HOST[:PORT]/REPO[:TAG|@DIGEST]; default: the newest).
    #[arg(long)]
    pub bundle: Option<String>,
    /// The release-candidate summary whose risk linkage is checked.
    #[arg(long, value_name = "PATH")]
    pub rc_summary: Option<PathBuf>,
    /// Allow plain HTTP to a registry that is not this machine.
    #[arg(long)]
    pub insecure: bool,
    /// Also write JUnit XML here: a failing testcase per blocking finding and one for the decision.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Replace an existing --junit file (evidence, releases, the ledger and the policy are never replaced).
    #[arg(long)]
    pub force: bool,
}

#[derive(Subcommand)]
pub enum ReleaseCmd {
    /// The decision, the approvals, and whether the evidence still verifies.
    Status {
        version: String,
        /// Also write JUnit XML here: each blocking finding (skipped as WAIVED when waived), each required role, the evidence and shipping.
        #[arg(long, value_name = "PATH")]
        junit: Option<PathBuf>,
        /// Replace an existing output file (evidence, releases, the ledger and the policy are never replaced).
        #[arg(long)]
        force: bool,
    },
    /// Sign the release's manifest and files (in-toto statement, DSSE envelope).
    Sign {
        version: String,
        /// Replace an existing envelope.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
pub enum LedgerCmd {
    /// List the entries.
    Log,
    /// Re-walk the chain, re-hash every file the entries vouch for, and check every signed checkpoint.
    Verify,
    /// Append the ledger's head, signed with the workspace key, to the checkpoints file (ledger.checkpoints).
    Checkpoint,
    /// Copy this workspace's ledger, verified, into an empty shared one (hashes preserved), then verify it.
    Migrate {
        /// The target: postgres://USER@HOST[:PORT]/DB (the password from PGPASSWORD or a PGPASSFILE).
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Write the entries as JSON lines (stdout, or --out).
    Export {
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Replace an existing output file (evidence, releases, the ledger and the policy are never replaced).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args)]
pub struct When {
    /// Daily at HH:MM (default: the policy's verify.schedule).
    #[arg(long, value_name = "HH:MM", conflicts_with = "cron")]
    pub at: Option<String>,
    /// A five-field cron expression.
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,
}

#[derive(Subcommand)]
pub enum ScheduleCmd {
    /// Print the crontab line and the systemd service and timer.
    Print(When),
    /// Install for the current user: systemd user units, or the crontab.
    Install {
        #[command(flatten)]
        when: When,
        /// Use the user's crontab instead of systemd.
        #[arg(long)]
        crontab: bool,
        /// Write the units here and do not enable them (default: ~/.config/systemd/user, enabled).
        #[arg(long, value_name = "DIR")]
        unit_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum KeyCmd {
    /// Generate an ed25519 key pair: the public key (PEM) at the policy's
    /// signing.public_key, the secret key (PKCS#8 PEM) in
    /// $XDG_CONFIG_HOME/tollgate/keys/, outside the workspace.
    Gen {
        /// Replace the existing key pair.
        #[arg(long)]
        force: bool,
        /// Keep the secret key beside the public key, in the workspace (added
        /// to .gitignore).
        #[arg(long)]
        in_workspace: bool,
    },
}

#[derive(Subcommand)]
pub enum RiskCmd {
    /// Check a release-candidate summary: fields filled, risks cited, owners and mitigations.
    Check {
        /// The release-candidate summary (markdown).
        summary: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum DocsCmd {
    /// Find drift between the task board, its CSV and the other documents.
    Check {
        /// Accept losing more CSV rows against git HEAD than the policy allows.
        #[arg(long)]
        allow_large_edits: bool,
    },
    /// Report the release checklist's unchecked items.
    Checklist,
    /// The doc-sync checklist of one task (StateTrace's DocSyncChecklist JSON).
    Task {
        /// Task ID, e.g. ST-G-007.
        id: String,
        /// Also write the checklist JSON here.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Replace an existing output file (evidence, releases, the ledger and the policy are never replaced).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args)]
pub struct GatesArgs {
    /// Only these gates (ids or plans, e.g. A-queue-delay-p95 or PlanG).
    #[arg(long, value_name = "ID|PLAN")]
    pub only: Vec<String>,
    /// Also write JUnit XML here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Show how each value was computed.
    #[arg(long)]
    pub explain: bool,
    /// Record the gate values as baseline NAME (e.g. a release version).
    #[arg(long, value_name = "NAME")]
    pub record: Option<String>,
    /// Compare with baseline NAME (default: the newest shippable release).
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Judge as for releasing VERSION: a changelog gate looks for its entry
    /// (default: the changelog's topmost entry).
    #[arg(long, value_name = "VERSION")]
    pub release: Option<String>,
    /// Replace an existing output file (evidence, releases, the ledger and the policy are never replaced).
    #[arg(long)]
    pub force: bool,
}

#[derive(Subcommand)]
pub enum AnalyzeKind {
    /// Shared-cache store operations per file, overall and per site.
    SharedCache(AnalyzeArgs),
    /// SiteCacheProviderReason breakdown per site, across the files.
    ProviderReasons(AnalyzeArgs),
    /// A QueueDelaySummary from InterfacePortQueueMetrics events.
    QueueDelay {
        #[command(flatten)]
        args: AnalyzeArgs,
        /// Minimum samples (default: the policy's queue-delay p95 gate).
        #[arg(long)]
        min_samples: Option<u64>,
        /// Maximum p95 in ms (default: the policy's queue-delay p95 gate).
        #[arg(long)]
        max_p95: Option<f64>,
        /// Maximum p99 in ms (default: the policy's queue-delay p99 gate).
        #[arg(long)]
        max_p99: Option<f64>,
    },
}

#[derive(Args)]
pub struct AnalyzeArgs {
    /// JSON-lines telemetry files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Also write the result as JSON here.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Replace an existing output file (evidence, releases, the ledger and the policy are never replaced).
    #[arg(long)]
    pub force: bool,
}

#[derive(Args)]
pub struct RollupArgs {
    /// Day files (default: the policy's daily files in paths.telemetry).
    pub files: Vec<PathBuf>,
    /// First day, YYYY-MM-DD (inclusive).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (inclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Output CSV (default: <telemetry>/IngestionMetricsSummary-<yyyyMMdd-HHmmss>.csv).
    #[arg(long, value_name = "CSV")]
    pub out: Option<PathBuf>,
    /// Replace an existing output file (evidence, releases, the ledger and the policy are never replaced).
    #[arg(long)]
    pub force: bool,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Where to generate the workspace.
    #[arg(default_value = "tollgate-demo")]
    pub dir: PathBuf,
    /// statetrace (StateTrace's telemetry, bundles and governance docs) or
    /// generic (an ordinary project's JUnit, coverage, SARIF, SBOM and
    /// CHANGELOG, released twice).
    #[arg(long, default_value = "statetrace", value_parser = clap::builder::PossibleValuesParser::new(tollgate::demo::PROFILES))]
    pub profile: String,
    /// Seed for every generated value.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Telemetry volume multiplier (for benchmarks).
    #[arg(long, default_value_t = 1)]
    pub scale: u32,
    /// Days of telemetry.
    #[arg(long, default_value_t = 5)]
    pub days: u32,
    /// Last telemetry day, YYYY-MM-DD (default: today, so evidence is fresh).
    #[arg(long)]
    pub date: Option<String>,
}

#[derive(Subcommand)]
pub enum BundleCmd {
    /// Collect, hash and publish one area of a bundle.
    Publish(PublishArgs),
    /// Sign every area of a bundle (in-toto statement, DSSE envelope).
    Sign {
        /// Bundle name (under the bundles folder) or path.
        bundle: String,
        /// Replace existing envelopes.
        #[arg(long)]
        force: bool,
    },
    /// Verify a bundle: requirements, integrity, orphans, content, freshness, consistency, safety.
    Verify {
        /// Bundle folder, a bundle name under the policy's bundles folder, or
        /// oci://HOST[:PORT]/REPO[:TAG|@DIGEST] to verify it in a registry.
        bundle: String,
        /// Only these areas (comma-separated).
        #[arg(long, value_delimiter = ',')]
        area: Vec<String>,
        /// Write the summary here instead of <bundle>/VerificationSummary.json.
        #[arg(long, value_name = "PATH")]
        summary: Option<PathBuf>,
        /// Also write JUnit XML here: a testcase per area requirement, a failing one per blocking finding.
        #[arg(long, value_name = "PATH")]
        junit: Option<PathBuf>,
        /// Replace an existing output file (evidence, releases, the ledger and the policy are never replaced).
        #[arg(long)]
        force: bool,
        /// Allow plain HTTP to a registry that is not this machine.
        #[arg(long)]
        insecure: bool,
    },
    /// Store a bundle in an OCI registry, one blob per file, and record the push.
    Push {
        /// Bundle name (under the bundles folder) or path.
        bundle: String,
        /// oci://HOST[:PORT]/REPO[:TAG] (default tag: the bundle's name).
        #[arg(long, value_name = "REF")]
        to: String,
        /// Allow plain HTTP to a registry that is not this machine.
        #[arg(long)]
        insecure: bool,
    },
    /// Re-create a bundle from an OCI registry, checking every file as it arrives.
    Pull {
        /// oci://HOST[:PORT]/REPO[:TAG|@DIGEST]
        reference: String,
        /// Create the bundle as DIR/NAME (default: the policy's bundles folder);
        /// that folder must not exist, or be empty.
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
        /// Allow plain HTTP to a registry that is not this machine.
        #[arg(long)]
        insecure: bool,
    },
    /// Show the stored verification summary without re-hashing.
    Show {
        bundle: String,
        #[arg(long, value_name = "PATH")]
        summary: Option<PathBuf>,
    },
    /// List bundles with date, areas, artifacts, size and last verdict.
    List,
}

#[derive(Args)]
pub struct PublishArgs {
    /// Bundle name (default: local time yyyyMMdd-HHmmss).
    #[arg(long)]
    pub name: Option<String>,
    /// Area to publish (default: the policy's bundle.default_area).
    #[arg(long)]
    pub area: Option<String>,
    #[arg(long, value_name = "PLAN")]
    pub plan: Vec<String>,
    #[arg(long, value_name = "ID")]
    pub task: Vec<String>,
    #[arg(long, value_name = "RR")]
    pub risk: Vec<String>,
    #[arg(long)]
    pub notes: Option<String>,
    /// Add CATEGORY=PATH (PATH may end in a glob); replaces discovery for that category.
    #[arg(long, value_name = "CATEGORY=PATH")]
    pub add: Vec<String>,
    /// Do not collect the policy's sources; publish only --add files.
    #[arg(long)]
    pub no_discover: bool,
    /// Supersede an existing area (the old one is kept under .superseded/).
    #[arg(long)]
    pub force: bool,
    /// Publish even if the redaction scan finds possible secrets.
    #[arg(long)]
    pub allow_unredacted: bool,
    /// Let --add take files outside the workspace (never keys, .tollgate/ or /proc).
    #[arg(long)]
    pub allow_outside: bool,
}

/// How an approval or a waiver is signed.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// Sign with this SSH key: a private key file, or a public key whose
    /// private half is in ssh-agent.
    #[arg(long, value_name = "KEY", conflicts_with_all = ["signature", "print_statement"])]
    pub key: Option<PathBuf>,
    /// Print the statement to sign (`ssh-keygen -Y sign -n tollgate -f KEY FILE`)
    /// instead of recording it.
    #[arg(long, conflicts_with = "signature")]
    pub print_statement: bool,
    /// Record the signature `ssh-keygen -Y sign` made of a printed statement.
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,
    /// The signed statement (default: SIG without its `.sig`).
    #[arg(long, value_name = "FILE", requires = "signature")]
    pub statement: Option<PathBuf>,
}
