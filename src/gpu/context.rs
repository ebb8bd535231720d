//! The GPU device: adapter choice, the wgpu device and queue, the limits that
//! launches respect, and capture of wgpu's asynchronous errors.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::dtype::DType;
use crate::error::{Error, Result};

use super::buffer::BufferPool;
use super::launch::{Batch, Kernel, KernelKey};

/// The workgroup size of every kernel (the `workgroup_size` template variable).
pub const WORKGROUP_SIZE: u32 = 256;

/// Default number of dispatches recorded before a batch is submitted on its own.
pub const DEFAULT_BATCH_LIMIT: usize = 4096;

/// Default upper bound on the bytes kept in the buffer pool.
pub const DEFAULT_POOL_LIMIT: u64 = 512 << 20;

/// How to choose and configure a GPU device.
///
/// `GpuOptions::default()` reads the usual wgpu environment variables:
/// `WGPU_BACKEND` (a comma list such as `vulkan,metal`), `WGPU_ADAPTER_NAME`
/// (a case-insensitive substring of the adapter name) and `WGPU_POWER_PREF`
/// (`low`, `high` or `none`). A struct built field by field uses exactly the
/// fields given.
///
/// ```
/// use strider::gpu::GpuOptions;
/// let opts = GpuOptions {
///     adapter_name: Some("llvmpipe".to_string()),
///     ..GpuOptions::default()
/// };
/// assert_eq!(opts.adapter_name.as_deref(), Some("llvmpipe"));
/// ```
#[derive(Clone, Debug)]
pub struct GpuOptions {
    /// Which wgpu backends may provide the adapter.
    pub backends: wgpu::Backends,
    /// Pick the first adapter whose name contains this (case-insensitive).
    pub adapter_name: Option<String>,
    /// Preference between low-power and high-performance adapters.
    pub power_preference: wgpu::PowerPreference,
    /// Lower the largest storage binding a launch may use (bytes). Arrays whose
    /// bindings would exceed it are processed in chunks. `None` uses the
    /// adapter's `max_storage_buffer_binding_size`. Mostly for tests.
    pub max_binding_size: Option<u64>,
    /// Lower the workgroups per grid dimension (the adapter's limit is usually
    /// 65,535). Launches that need more use a 2-D grid. Mostly for tests.
    pub max_workgroups_per_dim: Option<u32>,
    /// Dispatches recorded into one command encoder before it is submitted
    /// without waiting for a read-back.
    pub batch_limit: usize,
    /// Bytes of freed buffers kept for reuse; also caps the one read-back
    /// buffer a device keeps between downloads (at most 256 MiB).
    pub pool_limit: u64,
    /// Optional shader features to request when the adapter has them:
    /// `SHADER_F16`, `SHADER_F64` and `SHADER_INT64` by default. Leaving one
    /// out makes its dtypes unavailable, as on an adapter without it.
    pub features: wgpu::Features,
    /// Contiguous elementwise kernels read and write four elements per
    /// invocation through `vec4` bindings when every operand allows it
    /// (the default). `false` keeps them at one element per invocation:
    /// for comparisons (the `gpu` bench measures both) and for drivers
    /// where wide loads are slower.
    pub wide_loads: bool,
    /// The longest strider waits for the device to finish submitted work
    /// (a read-back, [`GpuDevice::synchronize`]) before the call fails with
    /// [`Error::Device`] instead of hanging: 120 s unless
    /// `STRIDER_GPU_TIMEOUT_SECS` says otherwise.
    pub wait_timeout: std::time::Duration,
}

/// The wait for the device when neither the options nor the environment
/// name one: long enough for the largest work a software adapter runs in
/// the tests, short enough that a hung device is reported.
const DEFAULT_WAIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The optional shader features strider uses.
const SHADER_FEATURES: wgpu::Features = wgpu::Features::SHADER_F16
    .union(wgpu::Features::SHADER_F64)
    .union(wgpu::Features::SHADER_INT64);

impl Default for GpuOptions {
    fn default() -> Self {
        GpuOptions {
            backends: wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all()),
            adapter_name: std::env::var("WGPU_ADAPTER_NAME")
                .ok()
                .filter(|s| !s.trim().is_empty()),
            power_preference: wgpu::PowerPreference::from_env().unwrap_or_default(),
            max_binding_size: None,
            max_workgroups_per_dim: None,
            batch_limit: DEFAULT_BATCH_LIMIT,
            pool_limit: DEFAULT_POOL_LIMIT,
            features: SHADER_FEATURES,
            wide_loads: true,
            wait_timeout: std::env::var("STRIDER_GPU_TIMEOUT_SECS")
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|&v| v.is_finite() && v > 0.0)
                .map_or(DEFAULT_WAIT_TIMEOUT, std::time::Duration::from_secs_f64),
        }
    }
}

/// What the adapter behind a [`GpuDevice`] is.
///
/// `is_software` is true for CPU implementations such as Mesa's lavapipe
/// (`llvmpipe`), so a user can tell a software adapter from real hardware.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterInfo {
    /// The adapter name, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// The wgpu backend: `vulkan`, `metal`, `dx12`, `gl`.
    pub backend: String,
    /// The driver name, e.g. `llvmpipe`.
    pub driver: String,
    /// Driver version details, e.g. `Mesa 22.3.6 (LLVM 15.0.6)`.
    pub driver_info: String,
    /// `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` or `Other`.
    pub device_type: String,
    /// True when the device type is `Cpu` (a software rasteriser).
    pub is_software: bool,
}

impl AdapterInfo {
    fn from_wgpu(info: &wgpu::AdapterInfo) -> AdapterInfo {
        AdapterInfo {
            name: info.name.clone(),
            backend: info.backend.to_str().to_string(),
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
            device_type: format!("{:?}", info.device_type),
            is_software: info.device_type == wgpu::DeviceType::Cpu,
        }
    }
}

impl fmt::Display for AdapterInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, {})", self.name, self.backend, self.device_type)
    }
}

/// The limits launches are planned against: the device's real limits,
/// possibly lowered by [`GpuOptions`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct LaunchLimits {
    /// Largest storage binding, bytes (a multiple of 4, at most 2^31 - 256).
    pub max_binding: u64,
    /// Alignment of storage binding offsets, bytes.
    pub align: u64,
    /// Workgroups per grid dimension.
    pub max_groups: u32,
    /// Dispatches per submission.
    pub batch_limit: usize,
    /// Largest buffer, bytes.
    pub max_buffer: u64,
    /// Whether contiguous kernels may use the wide (vec4) variant.
    pub wide_loads: bool,
}

/// The state behind a [`GpuDevice`] handle.
pub(crate) struct Context {
    pub(crate) id: u64,
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    pub(crate) info: AdapterInfo,
    pub(crate) features: wgpu::Features,
    pub(crate) limits: wgpu::Limits,
    pub(crate) launch: LaunchLimits,
    pub(crate) pool: Mutex<BufferPool>,
    /// The last read-back (MAP_READ) buffer, kept for the next download so
    /// that large downloads do not map fresh memory each time.
    pub(crate) staging: Mutex<Option<wgpu::Buffer>>,
    pub(crate) batch: Mutex<Batch>,
    /// Set while commands are recorded but not submitted.
    pub(crate) pending: AtomicBool,
    pub(crate) pipelines: Mutex<HashMap<KernelKey, Arc<Kernel>>>,
    pub(crate) submissions: AtomicU64,
    pub(crate) dispatches: AtomicU64,
    pub(crate) wait_timeout: std::time::Duration,
    errors: Arc<Mutex<Option<String>>>,
    lost: Arc<Mutex<Option<String>>>,
}

/// A handle on one GPU device: cheap to clone, compared by identity.
///
/// All work on a device goes through one queue. Kernels are recorded into a
/// command encoder held by the device and submitted together when a result
/// is read back, when [`GpuDevice::flush`] is called, or when the batch limit
/// is reached.
///
/// ```
/// use strider::gpu::GpuDevice;
/// let Ok(dev) = GpuDevice::default_device() else { return };
/// println!("{:?}: software adapter: {}", dev, dev.adapter_info().is_software);
/// assert_eq!(dev, dev.clone());
/// ```
#[derive(Clone)]
pub struct GpuDevice {
    pub(crate) ctx: Arc<Context>,
}

impl PartialEq for GpuDevice {
    fn eq(&self, other: &Self) -> bool {
        self.ctx.id == other.ctx.id
    }
}

impl Eq for GpuDevice {}

impl std::hash::Hash for GpuDevice {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.ctx.id.hash(state);
    }
}

impl fmt::Debug for GpuDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GpuDevice#{}({} on {})",
            self.ctx.id, self.ctx.info.name, self.ctx.info.backend
        )
    }
}

impl fmt::Display for GpuDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gpu:{} ({}, {})",
            self.ctx.id, self.ctx.info.name, self.ctx.info.backend
        )
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static DEFAULT: OnceLock<std::result::Result<GpuDevice, Error>> = OnceLock::new();

const NO_ADAPTER_HELP: &str = "install a Vulkan, Metal or DX12 driver (on Linux without a GPU, \
     `apt-get install mesa-vulkan-drivers` provides the lavapipe software adapter), \
     or stay on the CPU with Device::Cpu, which needs no adapter";

fn device_err(op: &'static str, reason: impl Into<String>) -> Error {
    Error::Device {
        op,
        reason: reason.into(),
    }
}

/// Lock a mutex, recovering the data if another thread panicked with it held.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl GpuDevice {
    /// Open a device on the adapter that `opts` selects.
    ///
    /// The device is created with the adapter's real limits (not wgpu's
    /// defaults) and with `SHADER_F16`, `SHADER_F64` and `SHADER_INT64` when
    /// the adapter has them.
    ///
    /// # Errors
    ///
    /// [`Error::Device`] when no adapter matches (the message says how to get
    /// one and how to stay on the CPU), or when the device request fails.
    ///
    /// ```
    /// use strider::gpu::{GpuDevice, GpuOptions};
    /// match GpuDevice::new(GpuOptions::default()) {
    ///     Ok(dev) => println!("{}", dev.adapter_info()),
    ///     Err(e) => println!("no GPU: {e}"),
    /// }
    /// ```
    pub fn new(opts: GpuOptions) -> Result<GpuDevice> {
        pollster::block_on(Self::new_async(opts))
    }

    async fn new_async(opts: GpuOptions) -> Result<GpuDevice> {
        const OP: &str = "gpu device";
        // wgpu's own variables (WGPU_VALIDATION, WGPU_DX12_COMPILER, ...)
        // apply too; the backends are the options' (which read WGPU_BACKEND).
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle().with_env();
        desc.backends = opts.backends;
        let instance = wgpu::Instance::new(desc);
        let adapter = match &opts.adapter_name {
            Some(want) => {
                let want_lc = want.to_lowercase();
                let adapters = instance.enumerate_adapters(opts.backends).await;
                let names: Vec<String> = adapters
                    .iter()
                    .map(|a| AdapterInfo::from_wgpu(&a.get_info()).to_string())
                    .collect();
                adapters
                    .into_iter()
                    .find(|a| a.get_info().name.to_lowercase().contains(&want_lc))
                    .ok_or_else(|| {
                        let found = if names.is_empty() {
                            "no adapters at all".to_string()
                        } else {
                            format!("the adapters are: {}", names.join("; "))
                        };
                        device_err(
                            OP,
                            format!(
                                "no GPU adapter's name contains {want:?} ({found}); unset \
                                 WGPU_ADAPTER_NAME or choose another name. {NO_ADAPTER_HELP}"
                            ),
                        )
                    })?
            }
            None => {
                let requested = instance
                    .request_adapter(&wgpu::RequestAdapterOptions {
                        power_preference: opts.power_preference,
                        force_fallback_adapter: false,
                        compatible_surface: None,
                        ..Default::default()
                    })
                    .await;
                match requested {
                    Ok(a) => a,
                    Err(e) => {
                        // request_adapter can refuse where enumeration still
                        // finds something (software adapters, say).
                        let mut all = instance.enumerate_adapters(opts.backends).await;
                        if all.is_empty() {
                            return Err(device_err(
                                OP,
                                format!(
                                    "no GPU adapter found for backends {:?} ({e}); \
                                     {NO_ADAPTER_HELP}",
                                    opts.backends
                                ),
                            ));
                        }
                        all.remove(0)
                    }
                }
            }
        };

        let info = AdapterInfo::from_wgpu(&adapter.get_info());
        let features = adapter.features() & opts.features & SHADER_FEATURES;
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("strider"),
                required_features: features,
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| {
                device_err(
                    OP,
                    format!("adapter {info} refused a device: {e}; {NO_ADAPTER_HELP}"),
                )
            })?;

        let errors: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let lost: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        {
            let errors = errors.clone();
            device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                let mut slot = lock(&errors);
                if slot.is_none() {
                    *slot = Some(e.to_string());
                }
            }));
        }
        {
            let lost = lost.clone();
            device.set_device_lost_callback(move |reason, msg| {
                *lock(&lost) = Some(format!("{reason:?}: {msg}"));
            });
        }

        let device_limits = device.limits();
        let align = u64::from(device_limits.min_storage_buffer_offset_alignment).max(4);
        // Keep every element index of a binding inside i32 range.
        let cap = (1u64 << 31) - align;
        let mut max_binding = device_limits.max_storage_buffer_binding_size.min(cap);
        if let Some(m) = opts.max_binding_size {
            max_binding = max_binding.min(m.max(2 * align));
        }
        max_binding -= max_binding % 4;
        let mut max_groups = device_limits.max_compute_workgroups_per_dimension;
        if let Some(m) = opts.max_workgroups_per_dim {
            max_groups = max_groups.min(m.max(1));
        }
        let launch = LaunchLimits {
            max_binding,
            align,
            max_groups,
            batch_limit: opts.batch_limit.max(1),
            max_buffer: device_limits.max_buffer_size,
            wide_loads: opts.wide_loads,
        };
        let ctx = Context {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            device,
            queue,
            info,
            features,
            limits: device_limits,
            launch,
            pool: Mutex::new(BufferPool::new(opts.pool_limit)),
            staging: Mutex::new(None),
            batch: Mutex::new(Batch::default()),
            pending: AtomicBool::new(false),
            pipelines: Mutex::new(HashMap::new()),
            submissions: AtomicU64::new(0),
            dispatches: AtomicU64::new(0),
            wait_timeout: opts.wait_timeout,
            errors,
            lost,
        };
        Ok(GpuDevice { ctx: Arc::new(ctx) })
    }

    /// The process-wide default device, opened once with
    /// [`GpuOptions::default()`] and shared by every caller.
    ///
    /// # Errors
    ///
    /// The error of the first attempt, repeated: [`Error::Device`] when there
    /// is no adapter.
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// assert_eq!(dev, strider::gpu::GpuDevice::default_device().unwrap());
    /// ```
    pub fn default_device() -> Result<GpuDevice> {
        DEFAULT
            .get_or_init(|| GpuDevice::new(GpuOptions::default()))
            .clone()
    }

    /// A number that identifies this device within the process.
    pub fn id(&self) -> u64 {
        self.ctx.id
    }

    /// What the adapter is: name, backend, driver, device type.
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// let info = dev.adapter_info();
    /// assert!(!info.name.is_empty());
    /// ```
    pub fn adapter_info(&self) -> AdapterInfo {
        self.ctx.info.clone()
    }

    /// The device's limits (the adapter's real limits).
    pub fn limits(&self) -> wgpu::Limits {
        self.ctx.limits.clone()
    }

    /// The optional shader features the device was opened with.
    pub fn features(&self) -> wgpu::Features {
        self.ctx.features
    }

    /// The largest storage binding a launch uses, in bytes; larger arrays are
    /// processed in chunks.
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// assert!(dev.max_binding_size() <= dev.limits().max_storage_buffer_binding_size);
    /// ```
    pub fn max_binding_size(&self) -> u64 {
        self.ctx.launch.max_binding
    }

    /// Whether kernels on this device can read and write `dtype`.
    ///
    /// `float16` needs `SHADER_F16`, `float64` needs `SHADER_F64`, `int64` and
    /// `uint64` need `SHADER_INT64`; the other dtypes always run (`uint8`,
    /// `bool` and `bfloat16` packed into 32-bit words).
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// assert!(dev.supports(strider::DType::F32));
    /// ```
    pub fn supports(&self, dtype: DType) -> bool {
        match required_feature(dtype) {
            Some((feature, _)) => self.ctx.features.contains(feature),
            None => true,
        }
    }

    /// `Ok` when [`supports`](Self::supports) is true.
    ///
    /// # Errors
    ///
    /// [`Error::DType`] naming the dtype, the missing feature and the adapter.
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// if let Err(e) = dev.check_dtype("add", strider::DType::F64) {
    ///     assert!(e.to_string().contains("SHADER_F64"));
    /// }
    /// ```
    pub fn check_dtype(&self, op: &'static str, dtype: DType) -> Result<()> {
        match required_feature(dtype) {
            Some((feature, name)) if !self.ctx.features.contains(feature) => Err(Error::DType {
                op,
                reason: format!(
                    "{dtype} needs the {name} shader feature, which the GPU adapter {} does not \
                     have; cast to a supported dtype or compute on Device::Cpu",
                    self.ctx.info
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Submit every recorded kernel now, without waiting for it to finish.
    ///
    /// # Errors
    ///
    /// [`Error::Device`] when wgpu reported an error for the recorded work or
    /// the device was lost.
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// dev.flush().unwrap();
    /// ```
    pub fn flush(&self) -> Result<()> {
        super::launch::flush(self, "flush")
    }

    /// Block until all submitted work has finished.
    ///
    /// # Errors
    ///
    /// [`Error::Device`] when the wait fails or wgpu reported an error.
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// let buf = strider::gpu::GpuBuffer::zeros(&dev, 64).unwrap(); // recorded
    /// dev.synchronize().unwrap(); // submitted and finished
    /// ```
    pub fn synchronize(&self) -> Result<()> {
        self.flush()?;
        self.wait("synchronize")
    }

    /// Waits, at most [`GpuOptions::wait_timeout`], for the work submitted
    /// so far to finish, then reports what wgpu reported meanwhile.
    pub(crate) fn wait(&self, op: &'static str) -> Result<()> {
        let limit = self.ctx.wait_timeout;
        self.check(op)?;
        self.ctx
            .device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: Some(limit),
            })
            .map_err(|e| match e {
                wgpu::PollError::Timeout => device_err(
                    op,
                    format!(
                        "the GPU device {} did not finish its work within {limit:?}: it may \
                         be hung or the work too large (GpuOptions::wait_timeout or \
                         STRIDER_GPU_TIMEOUT_SECS set the limit)",
                        self.ctx.info
                    ),
                ),
                other => device_err(op, format!("waiting for the GPU failed: {other}")),
            })?;
        self.check(op)
    }

    /// Destroys the device now (wgpu's `Device::destroy`): its memory goes
    /// back at once, and every later call that needs it, on any handle or
    /// array, fails with [`Error::Device`] saying the device was lost, as
    /// after a real device loss; nothing waits for it. For releasing a
    /// device deliberately and for testing how a program copes with a lost
    /// one. [`GpuDevice::new`] opens a fresh device afterwards.
    ///
    /// ```
    /// use strider::gpu::{GpuDevice, GpuOptions};
    /// let Ok(dev) = GpuDevice::new(GpuOptions::default()) else { return };
    /// dev.destroy();
    /// let err = dev.synchronize().unwrap_err();
    /// assert!(err.to_string().contains("lost"), "{err}");
    /// ```
    pub fn destroy(&self) {
        // Flush first so nothing recorded is left to submit to a dead device.
        let _ = self.flush();
        self.ctx.device.destroy();
        let mut lost = lock(&self.ctx.lost);
        if lost.is_none() {
            *lost = Some("destroyed by GpuDevice::destroy".to_string());
        }
    }

    /// How many command buffers this device has submitted so far.
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// let before = dev.submissions();
    /// dev.flush().unwrap(); // nothing recorded: nothing submitted
    /// assert_eq!(dev.submissions(), before);
    /// ```
    pub fn submissions(&self) -> u64 {
        self.ctx.submissions.load(Ordering::SeqCst)
    }

    /// How many compute dispatches this device has recorded so far (a launch
    /// split into chunks counts each chunk).
    pub fn dispatches(&self) -> u64 {
        self.ctx.dispatches.load(Ordering::SeqCst)
    }

    /// How many compiled kernels the pipeline cache holds.
    pub fn cached_pipelines(&self) -> usize {
        lock(&self.ctx.pipelines).len()
    }

    /// Return the first error wgpu reported since the last check, or a lost
    /// device, as [`Error::Device`].
    pub(crate) fn check(&self, op: &'static str) -> Result<()> {
        if let Some(msg) = lock(&self.ctx.lost).clone() {
            return Err(device_err(
                op,
                format!("the GPU device {} was lost ({msg})", self.ctx.info),
            ));
        }
        if let Some(msg) = lock(&self.ctx.errors).take() {
            return Err(device_err(
                op,
                format!("the GPU device {} reported an error: {msg}", self.ctx.info),
            ));
        }
        Ok(())
    }

    /// `Ok` when every dtype in `dtypes` is supported.
    pub(crate) fn check_dtypes(&self, op: &'static str, dtypes: &[DType]) -> Result<()> {
        dtypes.iter().try_for_each(|&d| self.check_dtype(op, d))
    }
}

/// The wgpu feature a dtype needs in a shader, and its name.
pub(crate) fn required_feature(dtype: DType) -> Option<(wgpu::Features, &'static str)> {
    match dtype {
        DType::F16 => Some((wgpu::Features::SHADER_F16, "SHADER_F16")),
        DType::F64 => Some((wgpu::Features::SHADER_F64, "SHADER_F64")),
        DType::I64 | DType::U64 => Some((wgpu::Features::SHADER_INT64, "SHADER_INT64")),
        _ => None,
    }
}
