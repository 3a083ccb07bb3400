//! Load balancers in the model: ALB/NLB with their listeners, access logs and target health
//! checks, and the classic ELB; ids that services use to refer to them.

/// Refers to a load balancer of the stack that handed it out by
/// [`super::Stack::add_load_balancer`]; an id from another stack finds nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LoadBalancerId {
    pub(crate) stack: StackId,
    pub(crate) index: usize,
}

/// Tells stacks apart, so that ids they hand out cannot be used across them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct StackId(u64);

impl StackId {
    pub(crate) fn fresh() -> StackId {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        StackId(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

/// Application (HTTP/HTTPS, listener rules) or Network (TCP/TLS/UDP) Load Balancer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadBalancerKind {
    Application,
    Network,
}

impl LoadBalancerKind {
    pub fn name(self) -> &'static str {
        match self {
            LoadBalancerKind::Application => "application",
            LoadBalancerKind::Network => "network",
        }
    }
}

/// Reachable from the internet, or only inside the VPC. Default: internet-facing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    InternetFacing,
    Internal,
}

/// Listener protocols of ALBs (HTTP, HTTPS) and NLBs (TCP, TLS, UDP, TCP_UDP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Https,
    Tcp,
    Tls,
    Udp,
    TcpUdp,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP",
            Protocol::Https => "HTTPS",
            Protocol::Tcp => "TCP",
            Protocol::Tls => "TLS",
            Protocol::Udp => "UDP",
            Protocol::TcpUdp => "TCP_UDP",
        }
    }

    /// HTTPS and TLS terminate TLS at the load balancer and need a certificate.
    pub fn terminates_tls(self) -> bool {
        matches!(self, Protocol::Https | Protocol::Tls)
    }
}

/// A listener: the prod listener carries live traffic, the test listener reaches the new
/// (green) tasks during a blue/green deployment before traffic shifts.
#[derive(Clone, Debug, PartialEq)]
pub struct Listener {
    pub port: u16,
    pub protocol: Protocol,
    /// ACM certificate; required for HTTPS and TLS.
    pub certificate_arn: Option<String>,
    /// TLS policy for HTTPS and TLS. Default: `ELBSecurityPolicy-TLS13-1-2-2021-06`.
    pub ssl_policy: String,
}

impl Listener {
    pub fn new(protocol: Protocol, port: u16) -> Listener {
        Listener {
            port,
            protocol,
            certificate_arn: None,
            ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06".into(),
        }
    }

    pub fn http(port: u16) -> Listener {
        Listener::new(Protocol::Http, port)
    }

    pub fn https(port: u16, certificate_arn: &str) -> Listener {
        Listener {
            certificate_arn: Some(certificate_arn.into()),
            ..Listener::new(Protocol::Https, port)
        }
    }

    pub fn tcp(port: u16) -> Listener {
        Listener::new(Protocol::Tcp, port)
    }

    pub fn tls(port: u16, certificate_arn: &str) -> Listener {
        Listener {
            certificate_arn: Some(certificate_arn.into()),
            ..Listener::new(Protocol::Tls, port)
        }
    }
}

/// An Application or Network Load Balancer with its prod (and optional test) listener.
/// AWS name `<stack>-<name>`; defaults on each field below.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancer {
    /// AWS name is `<stack>-<name>`.
    pub name: String,
    pub kind: LoadBalancerKind,
    pub scheme: Scheme,
    pub prod_listener: Listener,
    /// Default: none. With one, a deployment can be tested on it before traffic shifts.
    pub test_listener: Option<Listener>,
    /// Who may reach the prod listener. Default: `0.0.0.0/0`.
    pub allowed_cidrs: Vec<String>,
    /// Who may reach the test listener, which serves a release before it takes traffic.
    /// Default: `None`, the same as `allowed_cidrs`.
    pub test_listener_cidrs: Option<Vec<String>>,
    /// Default: on, so a production load balancer cannot be deleted by a stray
    /// `terraform destroy` or a rename; short-lived stacks turn it off with
    /// `.deletion_protection(false)`.
    pub deletion_protection: bool,
    /// `Some(port)`: an HTTP listener on `port` redirecting to the prod HTTPS listener.
    /// Default: port 80 on an ALB whose prod listener is HTTPS (a browser's `http://` gets a
    /// redirect rather than a timeout), none otherwise; `.no_http_redirect()` turns it off.
    pub http_redirect_port: Option<u16>,
    /// Where the load balancer writes its access logs. Default: none, no access logs:
    /// ecsynth does not create the bucket (ALB logs need a bucket policy for the region's
    /// ELB account and SSE-S3 encryption, and usually go to a central logging account).
    pub access_logs: Option<AccessLogs>,
}

/// An S3 bucket (and key prefix) receiving a load balancer's access logs. An NLB writes
/// them for TLS listeners only.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessLogs {
    pub bucket: String,
    /// Key prefix inside the bucket, without a leading or trailing `/`; may be empty.
    pub prefix: String,
}

impl LoadBalancer {
    /// An internet-facing Application Load Balancer.
    pub fn application(name: &str, prod_listener: Listener) -> LoadBalancer {
        LoadBalancer::new(name, LoadBalancerKind::Application, prod_listener)
    }

    /// An internet-facing Network Load Balancer.
    pub fn network(name: &str, prod_listener: Listener) -> LoadBalancer {
        LoadBalancer::new(name, LoadBalancerKind::Network, prod_listener)
    }

    fn new(name: &str, kind: LoadBalancerKind, prod_listener: Listener) -> LoadBalancer {
        let redirects = kind == LoadBalancerKind::Application
            && prod_listener.protocol == Protocol::Https
            && prod_listener.port != 80;
        LoadBalancer {
            name: name.into(),
            kind,
            scheme: Scheme::InternetFacing,
            prod_listener,
            test_listener: None,
            allowed_cidrs: vec!["0.0.0.0/0".into()],
            test_listener_cidrs: None,
            deletion_protection: true,
            http_redirect_port: redirects.then_some(80),
            access_logs: None,
        }
    }

    pub fn internal(mut self) -> LoadBalancer {
        self.scheme = Scheme::Internal;
        self
    }

    pub fn test_listener(mut self, listener: Listener) -> LoadBalancer {
        self.test_listener = Some(listener);
        self
    }

    pub fn allowed_cidrs(mut self, cidrs: &[&str]) -> LoadBalancer {
        self.allowed_cidrs = cidrs.iter().map(|cidr| (*cidr).to_owned()).collect();
        self
    }

    pub fn test_listener_cidrs(mut self, cidrs: &[&str]) -> LoadBalancer {
        self.test_listener_cidrs = Some(cidrs.iter().map(|cidr| (*cidr).to_owned()).collect());
        self
    }

    pub fn deletion_protection(mut self, on: bool) -> LoadBalancer {
        self.deletion_protection = on;
        self
    }

    /// An HTTP listener on `port` (80 by default for HTTPS ALBs) that redirects to the HTTPS
    /// prod listener.
    pub fn redirect_http(mut self, port: u16) -> LoadBalancer {
        self.http_redirect_port = Some(port);
        self
    }

    /// No HTTP listener redirecting to HTTPS; plain HTTP then gets no answer at all.
    pub fn no_http_redirect(mut self) -> LoadBalancer {
        self.http_redirect_port = None;
        self
    }

    /// Writes access logs to `bucket` under `prefix` (e.g. `prod/web`). The bucket must allow
    /// the region's Elastic Load Balancing account to write, and use SSE-S3 encryption.
    pub fn access_logs(mut self, bucket: &str, prefix: &str) -> LoadBalancer {
        self.access_logs = Some(AccessLogs {
            bucket: bucket.into(),
            prefix: prefix.into(),
        });
        self
    }

    /// The listeners in order, prod then test, each with the CIDRs allowed to reach it.
    pub fn listeners(&self) -> impl Iterator<Item = (&Listener, &[String])> {
        let test_cidrs = self
            .test_listener_cidrs
            .as_ref()
            .unwrap_or(&self.allowed_cidrs);
        std::iter::once((&self.prod_listener, self.allowed_cidrs.as_slice())).chain(
            self.test_listener
                .iter()
                .map(move |test| (test, test_cidrs.as_slice())),
        )
    }
}

/// The target groups' health check.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetHealthCheck {
    /// HTTP path. Required behind an ALB; behind an NLB, `None` checks with a TCP connect.
    pub path: Option<String>,
    /// Accepted HTTP codes. Default: `200-399`.
    pub matcher: String,
    /// Seconds. Default: 15.
    pub interval: u32,
    /// Seconds. Default: 5.
    pub timeout: u32,
    /// Default: 3.
    pub healthy_threshold: u32,
    /// Default: 3.
    pub unhealthy_threshold: u32,
}

impl TargetHealthCheck {
    pub fn http(path: &str) -> TargetHealthCheck {
        TargetHealthCheck {
            path: Some(path.into()),
            ..TargetHealthCheck::tcp()
        }
    }

    pub fn tcp() -> TargetHealthCheck {
        TargetHealthCheck {
            path: None,
            matcher: "200-399".into(),
            interval: 15,
            timeout: 5,
            healthy_threshold: 3,
            unhealthy_threshold: 3,
        }
    }
}

/// Refers to a classic ELB of the stack that handed it out by
/// [`super::Stack::add_classic_load_balancer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClassicLoadBalancerId {
    pub(crate) stack: StackId,
    pub(crate) index: usize,
}

/// A classic Elastic Load Balancer: plain TCP and SSL listeners next to HTTP(S), which a
/// protocol such as Jenkins' inbound agents needs. It registers instances, so its service runs
/// on EC2 with bridge or host networking and fixed host ports; CodeDeploy cannot switch it.
/// AWS name is `<stack>-<name>`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassicLoadBalancer {
    pub name: String,
    pub scheme: Scheme,
    pub listeners: Vec<ClassicListener>,
    pub health_check: ClassicHealthCheck,
    /// Who may reach the listeners. Default: `0.0.0.0/0`.
    pub allowed_cidrs: Vec<String>,
    /// Seconds an idle connection stays open. Default: 60.
    pub idle_timeout: u32,
    /// Seconds in-flight requests get when an instance leaves. Default: 300.
    pub connection_draining_seconds: u32,
    /// Default: on.
    pub cross_zone: bool,
    /// Where the ELB writes its access logs (every 5 minutes). Default: none, as for
    /// [`LoadBalancer::access_logs`].
    pub access_logs: Option<AccessLogs>,
    /// Why this ELB may have plain HTTP listeners, which carry passwords and session cookies
    /// in clear text (a classic ELB cannot redirect to HTTPS). Default: none, and validation
    /// refuses an HTTP listener.
    pub plain_http_reason: Option<String>,
}

/// The predefined security policy every HTTPS and SSL listener of a classic ELB negotiates
/// with: TLS 1.2 only, forward-secret ciphers first. Without one a classic ELB uses an old
/// default that still offers TLS 1.0 (ELB Classic User Guide, "Predefined SSL security
/// policies for Classic Load Balancers"; classic ELBs have no TLS 1.3 policy).
pub const CLASSIC_SSL_POLICY: &str = "ELBSecurityPolicy-TLS-1-2-2017-01";

impl ClassicLoadBalancer {
    /// An internet-facing classic ELB with `listeners` and `health_check`.
    pub fn new(
        name: &str,
        listeners: Vec<ClassicListener>,
        health_check: ClassicHealthCheck,
    ) -> ClassicLoadBalancer {
        ClassicLoadBalancer {
            name: name.into(),
            scheme: Scheme::InternetFacing,
            listeners,
            health_check,
            allowed_cidrs: vec!["0.0.0.0/0".into()],
            idle_timeout: 60,
            connection_draining_seconds: 300,
            cross_zone: true,
            access_logs: None,
            plain_http_reason: None,
        }
    }

    /// Allows plain HTTP listeners, for the reason given (written next to them in the
    /// stack, e.g. "health checkers of the old monitoring that speak HTTP only"). Requests
    /// on them, logins included, cross the network in clear text.
    pub fn plain_http_because(mut self, reason: &str) -> ClassicLoadBalancer {
        self.plain_http_reason = Some(reason.into());
        self
    }

    pub fn internal(mut self) -> ClassicLoadBalancer {
        self.scheme = Scheme::Internal;
        self
    }

    pub fn allowed_cidrs(mut self, cidrs: &[&str]) -> ClassicLoadBalancer {
        self.allowed_cidrs = cidrs.iter().map(|cidr| (*cidr).to_owned()).collect();
        self
    }

    pub fn idle_timeout(mut self, seconds: u32) -> ClassicLoadBalancer {
        self.idle_timeout = seconds;
        self
    }

    pub fn connection_draining_seconds(mut self, seconds: u32) -> ClassicLoadBalancer {
        self.connection_draining_seconds = seconds;
        self
    }

    /// Writes access logs to `bucket` under `prefix`, every 5 minutes. The bucket must allow
    /// the region's Elastic Load Balancing account to write.
    pub fn access_logs(mut self, bucket: &str, prefix: &str) -> ClassicLoadBalancer {
        self.access_logs = Some(AccessLogs {
            bucket: bucket.into(),
            prefix: prefix.into(),
        });
        self
    }

    pub fn cross_zone(mut self, on: bool) -> ClassicLoadBalancer {
        self.cross_zone = on;
        self
    }
}

/// Classic ELB listener protocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassicProtocol {
    Http,
    Https,
    Tcp,
    Ssl,
}

impl ClassicProtocol {
    pub fn name(self) -> &'static str {
        match self {
            ClassicProtocol::Http => "HTTP",
            ClassicProtocol::Https => "HTTPS",
            ClassicProtocol::Tcp => "TCP",
            ClassicProtocol::Ssl => "SSL",
        }
    }

    pub fn terminates_tls(self) -> bool {
        matches!(self, ClassicProtocol::Https | ClassicProtocol::Ssl)
    }
}

/// One classic ELB listener: `port` on the ELB to `instance_port` on the instances.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassicListener {
    pub port: u16,
    pub protocol: ClassicProtocol,
    pub instance_port: u16,
    /// HTTP behind HTTPS, TCP behind TCP and SSL.
    pub instance_protocol: ClassicProtocol,
    /// ACM or IAM certificate; required for HTTPS and SSL.
    pub certificate_arn: Option<String>,
}

impl ClassicListener {
    /// Plain HTTP on `port` of the ELB, to the same port of the instances unless
    /// [`ClassicListener::instance_port`] says otherwise.
    pub fn http(port: u16) -> ClassicListener {
        ClassicListener {
            port,
            protocol: ClassicProtocol::Http,
            instance_port: port,
            instance_protocol: ClassicProtocol::Http,
            certificate_arn: None,
        }
    }

    /// HTTPS terminated at the ELB on `port`, plain HTTP to the instances.
    pub fn https(port: u16, certificate_arn: &str) -> ClassicListener {
        ClassicListener {
            protocol: ClassicProtocol::Https,
            certificate_arn: Some(certificate_arn.into()),
            ..ClassicListener::http(port)
        }
    }

    /// TLS terminated at the ELB on `port`, plain TCP to the instances.
    pub fn ssl(port: u16, certificate_arn: &str) -> ClassicListener {
        ClassicListener {
            protocol: ClassicProtocol::Ssl,
            certificate_arn: Some(certificate_arn.into()),
            ..ClassicListener::tcp(port)
        }
    }

    /// Plain TCP on `port` of the ELB, to the same port of the instances unless
    /// [`ClassicListener::instance_port`] says otherwise.
    pub fn tcp(port: u16) -> ClassicListener {
        ClassicListener {
            port,
            protocol: ClassicProtocol::Tcp,
            instance_port: port,
            instance_protocol: ClassicProtocol::Tcp,
            certificate_arn: None,
        }
    }

    /// The instance port the ELB forwards to. Default: the listener's own port.
    pub fn instance_port(mut self, port: u16) -> ClassicListener {
        self.instance_port = port;
        self
    }
}

/// The classic ELB's health check of each instance.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassicHealthCheck {
    /// `PROTOCOL:PORT[/PATH]`, e.g. `HTTP:8080/login`.
    pub target: String,
    /// Seconds. Default: 30.
    pub interval: u32,
    /// Seconds. Default: 5.
    pub timeout: u32,
    /// Default: 3.
    pub healthy_threshold: u32,
    /// Default: 3.
    pub unhealthy_threshold: u32,
}

impl ClassicHealthCheck {
    /// An HTTP check of `path` on `port`, e.g. `ClassicHealthCheck::http(8080, "/login")`.
    pub fn http(port: u16, path: &str) -> ClassicHealthCheck {
        ClassicHealthCheck {
            target: format!("HTTP:{port}{path}"),
            interval: 30,
            timeout: 5,
            healthy_threshold: 3,
            unhealthy_threshold: 3,
        }
    }
}
