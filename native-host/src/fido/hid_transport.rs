//! USB HID transport (hidapi): FIDO keys are the HID interfaces on usage page
//! `0xF1D0`, usage `0x01` (CTAP 2.1 §11.2.8.1). Reports go out with report id 0.

use std::time::Duration;

use hidapi::{HidApi, HidDevice};
use serde::Serialize;

use super::ctaphid::{CtapHid, HidReports, Report, REPORT_LEN};
use super::error::{CtapError, CtapResult};

/// FIDO usage page.
pub const FIDO_USAGE_PAGE: u16 = 0xF1D0;
/// CTAPHID usage.
pub const FIDO_USAGE: u16 = 0x01;

/// A FIDO HID interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HidKey {
    /// OS path (stable while plugged in).
    pub path: String,
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// Product string.
    pub product: Option<String>,
    /// Serial number string.
    pub serial: Option<String>,
}

fn hid_err(e: hidapi::HidError) -> CtapError {
    CtapError::HidIo(e.to_string())
}

/// Every FIDO HID interface.
pub fn list() -> CtapResult<Vec<HidKey>> {
    let api = HidApi::new().map_err(hid_err)?;
    Ok(api
        .device_list()
        .filter(|d| d.usage_page() == FIDO_USAGE_PAGE && d.usage() == FIDO_USAGE)
        .map(|d| HidKey {
            path: d.path().to_string_lossy().into_owned(),
            vendor_id: d.vendor_id(),
            product_id: d.product_id(),
            product: d.product_string().map(str::to_owned),
            serial: d.serial_number().map(str::to_owned),
        })
        .collect())
}

/// An open HID interface as a report pipe.
pub struct HidReportDevice(HidDevice);

impl HidReports for HidReportDevice {
    fn write_report(&mut self, report: &Report) -> CtapResult<()> {
        let mut out = [0u8; REPORT_LEN + 1];
        out[1..].copy_from_slice(report);
        let n = self.0.write(&out).map_err(hid_err)?;
        if n < REPORT_LEN {
            return Err(CtapError::HidIo(format!("short HID write ({n} bytes)")));
        }
        Ok(())
    }

    fn read_report(&mut self, timeout: Duration) -> CtapResult<Option<Report>> {
        let mut buf = [0u8; REPORT_LEN];
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        let n = self.0.read_timeout(&mut buf, ms).map_err(hid_err)?;
        Ok((n > 0).then_some(buf))
    }
}

/// Opens the key at `path` and allocates a CTAPHID channel.
pub fn open(path: &str) -> CtapResult<CtapHid<HidReportDevice>> {
    let api = HidApi::new().map_err(hid_err)?;
    let c = std::ffi::CString::new(path)
        .map_err(|_| CtapError::InvalidInput("HID path with a NUL byte".into()))?;
    let dev = api.open_path(&c).map_err(hid_err)?;
    CtapHid::open(HidReportDevice(dev))
}
