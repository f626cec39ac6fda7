// The Windows I/O-control vocabulary discrec uses, defined once.
//
// mingw-w64 10.0.0 (Debian 12) lacks the Windows 7 real-time streaming part
// of Microsoft's ntddcdrm.h (MMC.md §15.9 and §18.1). This header includes
// the system headers in the order that works (ntddcdrm.h does not include
// ntddmmc.h) and supplies only what is missing. Enums have no #define to test,
// so the missing block is guarded by IOCTL_CDROM_ENABLE_STREAMING: a newer
// mingw-w64 or the Windows SDK that defines it brings the whole family.
//
// Every layout is pinned by static_assert to the byte offsets of MMC.md §15
// (x64 and x86), so a header change or a packing mistake fails the build
// instead of sending a malformed request to cdrom.sys.
//
// Thread-safety: definitions only.
#pragma once

// clang-format off: order matters.
#include <windows.h>
#include <winioctl.h>
#include <ntddscsi.h>
#include <ntddcdrm.h>
#include <ntddmmc.h>
// clang-format on

#include <cstddef>

#ifndef IOCTL_CDROM_BASE
#define IOCTL_CDROM_BASE FILE_DEVICE_CD_ROM
#endif

#ifndef IOCTL_CDROM_ENABLE_STREAMING
#define DISCREC_DEFINES_CDROM_STREAMING 1

#define IOCTL_CDROM_ENABLE_STREAMING \
  CTL_CODE(IOCTL_CDROM_BASE, 0x001A, METHOD_BUFFERED, FILE_READ_ACCESS)
#define IOCTL_CDROM_SEND_OPC_INFORMATION \
  CTL_CODE(IOCTL_CDROM_BASE, 0x001B, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_CDROM_GET_PERFORMANCE \
  CTL_CODE(IOCTL_CDROM_BASE, 0x001C, METHOD_BUFFERED, FILE_READ_ACCESS)

typedef enum _STREAMING_CONTROL_REQUEST_TYPE {
  CdromStreamingDisable = 1,
  CdromStreamingEnableForReadOnly = 2,
  CdromStreamingEnableForWriteOnly = 3,
  CdromStreamingEnableForReadWrite = 4
} STREAMING_CONTROL_REQUEST_TYPE, *PSTREAMING_CONTROL_REQUEST_TYPE;

typedef struct _CDROM_STREAMING_CONTROL {
  STREAMING_CONTROL_REQUEST_TYPE RequestType;
} CDROM_STREAMING_CONTROL, *PCDROM_STREAMING_CONTROL;

typedef enum _CDROM_OPC_INFO_TYPE { SimpleOpcInfo = 1 } CDROM_OPC_INFO_TYPE, *PCDROM_OPC_INFO_TYPE;

typedef struct _CDROM_SIMPLE_OPC_INFO {
  CDROM_OPC_INFO_TYPE RequestType;
  BOOLEAN Exclude0;
  BOOLEAN Exclude1;
} CDROM_SIMPLE_OPC_INFO, *PCDROM_SIMPLE_OPC_INFO;

typedef struct _CDROM_SET_STREAMING {
  CDROM_SPEED_REQUEST RequestType;
  ULONG ReadSize;
  ULONG ReadTime;
  ULONG WriteSize;
  ULONG WriteTime;
  ULONG StartLba;
  ULONG EndLba;
  WRITE_ROTATION RotationControl;
  BOOLEAN RestoreDefaults;
  BOOLEAN SetExact;
  BOOLEAN RandomAccess;
  BOOLEAN Persistent;
} CDROM_SET_STREAMING, *PCDROM_SET_STREAMING;

typedef enum _CDROM_PERFORMANCE_REQUEST_TYPE {
  CdromPerformanceRequest = 1,
  CdromWriteSpeedRequest = 2
} CDROM_PERFORMANCE_REQUEST_TYPE, *PCDROM_PERFORMANCE_REQUEST_TYPE;

typedef enum _CDROM_PERFORMANCE_TYPE {
  CdromReadPerformance = 1,
  CdromWritePerformance = 2
} CDROM_PERFORMANCE_TYPE, *PCDROM_PERFORMANCE_TYPE;

typedef enum _CDROM_PERFORMANCE_EXCEPTION_TYPE {
  CdromNominalPerformance = 1,
  CdromEntirePerformanceList = 2,
  CdromPerformanceExceptionsOnly = 3
} CDROM_PERFORMANCE_EXCEPTION_TYPE, *PCDROM_PERFORMANCE_EXCEPTION_TYPE;

typedef enum _CDROM_PERFORMANCE_TOLERANCE_TYPE {
  Cdrom10Nominal20Exceptions = 1
} CDROM_PERFORMANCE_TOLERANCE_TYPE, *PCDROM_PERFORMANCE_TOLERANCE_TYPE;

typedef struct _CDROM_PERFORMANCE_REQUEST {
  CDROM_PERFORMANCE_REQUEST_TYPE RequestType;
  CDROM_PERFORMANCE_TYPE PerformanceType;
  CDROM_PERFORMANCE_EXCEPTION_TYPE Exceptions;
  CDROM_PERFORMANCE_TOLERANCE_TYPE Tolerance;
  ULONG StaringLba;  // sic: Microsoft's spelling, kept so SDK code ports unchanged
} CDROM_PERFORMANCE_REQUEST, *PCDROM_PERFORMANCE_REQUEST;

typedef struct _CDROM_WRITE_SPEED_REQUEST {
  CDROM_PERFORMANCE_REQUEST_TYPE RequestType;
} CDROM_WRITE_SPEED_REQUEST, *PCDROM_WRITE_SPEED_REQUEST;

// Output structures: raw big-endian MMC data as the drive returned it.
typedef struct _CDROM_PERFORMANCE_HEADER {
  UCHAR DataLength[4];
  UCHAR Except : 1;
  UCHAR Write : 1;
  UCHAR Reserved0 : 6;
  UCHAR Reserved1[3];
  UCHAR Data[0];
} CDROM_PERFORMANCE_HEADER, *PCDROM_PERFORMANCE_HEADER;

typedef struct _CDROM_NOMINAL_PERFORMANCE_DESCRIPTOR {
  UCHAR StartLba[4];
  UCHAR StartPerformance[4];
  UCHAR EndLba[4];
  UCHAR EndPerformance[4];
} CDROM_NOMINAL_PERFORMANCE_DESCRIPTOR, *PCDROM_NOMINAL_PERFORMANCE_DESCRIPTOR;

typedef struct _CDROM_EXCEPTION_PERFORMANCE_DESCRIPTOR {
  UCHAR Lba[4];
  UCHAR Time[2];
} CDROM_EXCEPTION_PERFORMANCE_DESCRIPTOR, *PCDROM_EXCEPTION_PERFORMANCE_DESCRIPTOR;

typedef struct _CDROM_WRITE_SPEED_DESCRIPTOR {
  UCHAR MixedReadWrite : 1;
  UCHAR Exact : 1;
  UCHAR Reserved1 : 1;
  UCHAR WriteRotationControl : 2;
  UCHAR Reserved2 : 3;
  UCHAR Reserved3[3];
  UCHAR EndLba[4];
  UCHAR ReadSpeed[4];
  UCHAR WriteSpeed[4];
} CDROM_WRITE_SPEED_DESCRIPTOR, *PCDROM_WRITE_SPEED_DESCRIPTOR;

#endif  // IOCTL_CDROM_ENABLE_STREAMING

// Optional exclusive-access family (MMC.md §15.9, one source: MSH). Only the
// codes are needed here; discrec does not lock the drive through cdrom.sys.
#ifndef IOCTL_CDROM_EXCLUSIVE_ACCESS
#define IOCTL_CDROM_EXCLUSIVE_ACCESS \
  CTL_CODE(IOCTL_CDROM_BASE, 0x0017, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#endif
#ifndef IOCTL_CDROM_GET_INQUIRY_DATA
#define IOCTL_CDROM_GET_INQUIRY_DATA \
  CTL_CODE(IOCTL_CDROM_BASE, 0x0019, METHOD_BUFFERED, FILE_READ_ACCESS)
#endif

namespace discrec::device::windows {

// ---- I/O control codes (MMC.md §15.1) ----
static_assert(IOCTL_CDROM_GET_CONFIGURATION == 0x00024058);
static_assert(IOCTL_CDROM_EXCLUSIVE_ACCESS == 0x0002C05C);
static_assert(IOCTL_CDROM_SET_SPEED == 0x00024060);
static_assert(IOCTL_CDROM_GET_INQUIRY_DATA == 0x00024064);
static_assert(IOCTL_CDROM_ENABLE_STREAMING == 0x00024068);
static_assert(IOCTL_CDROM_SEND_OPC_INFORMATION == 0x0002C06C);
static_assert(IOCTL_CDROM_GET_PERFORMANCE == 0x00024070);
static_assert(IOCTL_SCSI_PASS_THROUGH == 0x0004D004);
static_assert(IOCTL_SCSI_PASS_THROUGH_DIRECT == 0x0004D014);
static_assert(IOCTL_STORAGE_QUERY_PROPERTY == 0x002D1400);
static_assert(FSCTL_MARK_HANDLE == 0x000900FC);

// ---- Enum values cdrom.sys checks ----
static_assert(CdromStreamingDisable == 1 && CdromStreamingEnableForReadOnly == 2 &&
              CdromStreamingEnableForWriteOnly == 3 && CdromStreamingEnableForReadWrite == 4);
static_assert(CdromSetSpeed == 0 && CdromSetStreaming == 1);
static_assert(CdromDefaultRotation == 0 && CdromCAVRotation == 1);
static_assert(SimpleOpcInfo == 1);
static_assert(CdromPerformanceRequest == 1 && CdromWriteSpeedRequest == 2);
static_assert(CdromReadPerformance == 1 && CdromWritePerformance == 2);
static_assert(CdromNominalPerformance == 1 && CdromEntirePerformanceList == 2 &&
              CdromPerformanceExceptionsOnly == 3);
static_assert(Cdrom10Nominal20Exceptions == 1);
static_assert(SCSI_IOCTL_DATA_OUT == 0 && SCSI_IOCTL_DATA_IN == 1 && SCSI_IOCTL_DATA_UNSPECIFIED == 2);
static_assert(SCSI_GET_CONFIGURATION_REQUEST_TYPE_ALL == 0 &&
              SCSI_GET_CONFIGURATION_REQUEST_TYPE_CURRENT == 1 &&
              SCSI_GET_CONFIGURATION_REQUEST_TYPE_ONE == 2);
static_assert(MARK_HANDLE_REALTIME == 0x20 && MARK_HANDLE_NOT_REALTIME == 0x40);

// ---- Layouts identical on x86 and x64 ----
static_assert(sizeof(CDROM_STREAMING_CONTROL) == 4);
static_assert(offsetof(CDROM_STREAMING_CONTROL, RequestType) == 0);

static_assert(sizeof(CDROM_SIMPLE_OPC_INFO) == 8);
static_assert(offsetof(CDROM_SIMPLE_OPC_INFO, Exclude0) == 4);
static_assert(offsetof(CDROM_SIMPLE_OPC_INFO, Exclude1) == 5);

static_assert(sizeof(CDROM_SET_SPEED) == 12);
static_assert(offsetof(CDROM_SET_SPEED, ReadSpeed) == 4);
static_assert(offsetof(CDROM_SET_SPEED, WriteSpeed) == 6);
static_assert(offsetof(CDROM_SET_SPEED, RotationControl) == 8);

static_assert(sizeof(CDROM_SET_STREAMING) == 36);
static_assert(offsetof(CDROM_SET_STREAMING, RequestType) == 0);
static_assert(offsetof(CDROM_SET_STREAMING, ReadSize) == 4);
static_assert(offsetof(CDROM_SET_STREAMING, ReadTime) == 8);
static_assert(offsetof(CDROM_SET_STREAMING, WriteSize) == 12);
static_assert(offsetof(CDROM_SET_STREAMING, WriteTime) == 16);
static_assert(offsetof(CDROM_SET_STREAMING, StartLba) == 20);
static_assert(offsetof(CDROM_SET_STREAMING, EndLba) == 24);
static_assert(offsetof(CDROM_SET_STREAMING, RotationControl) == 28);
static_assert(offsetof(CDROM_SET_STREAMING, RestoreDefaults) == 32);
static_assert(offsetof(CDROM_SET_STREAMING, SetExact) == 33);
static_assert(offsetof(CDROM_SET_STREAMING, RandomAccess) == 34);
static_assert(offsetof(CDROM_SET_STREAMING, Persistent) == 35);

static_assert(sizeof(CDROM_PERFORMANCE_REQUEST) == 20);
static_assert(offsetof(CDROM_PERFORMANCE_REQUEST, PerformanceType) == 4);
static_assert(offsetof(CDROM_PERFORMANCE_REQUEST, Exceptions) == 8);
static_assert(offsetof(CDROM_PERFORMANCE_REQUEST, Tolerance) == 12);
static_assert(offsetof(CDROM_PERFORMANCE_REQUEST, StaringLba) == 16);
static_assert(sizeof(CDROM_WRITE_SPEED_REQUEST) == 4);
static_assert(sizeof(CDROM_PERFORMANCE_HEADER) == 8);
static_assert(sizeof(CDROM_NOMINAL_PERFORMANCE_DESCRIPTOR) == 16);
static_assert(offsetof(CDROM_NOMINAL_PERFORMANCE_DESCRIPTOR, StartPerformance) == 4);
static_assert(offsetof(CDROM_NOMINAL_PERFORMANCE_DESCRIPTOR, EndLba) == 8);
static_assert(offsetof(CDROM_NOMINAL_PERFORMANCE_DESCRIPTOR, EndPerformance) == 12);
static_assert(sizeof(CDROM_EXCEPTION_PERFORMANCE_DESCRIPTOR) == 6);
static_assert(offsetof(CDROM_EXCEPTION_PERFORMANCE_DESCRIPTOR, Time) == 4);
static_assert(sizeof(CDROM_WRITE_SPEED_DESCRIPTOR) == 16);
static_assert(offsetof(CDROM_WRITE_SPEED_DESCRIPTOR, EndLba) == 4);
static_assert(offsetof(CDROM_WRITE_SPEED_DESCRIPTOR, ReadSpeed) == 8);
static_assert(offsetof(CDROM_WRITE_SPEED_DESCRIPTOR, WriteSpeed) == 12);

// ---- Pointer-sized layouts (MMC.md §15.3, §15.7, §15.8) ----
#if defined(_WIN64)
static_assert(sizeof(GET_CONFIGURATION_IOCTL_INPUT) == 24);
static_assert(offsetof(GET_CONFIGURATION_IOCTL_INPUT, RequestType) == 4);
static_assert(offsetof(GET_CONFIGURATION_IOCTL_INPUT, Reserved) == 8);

static_assert(sizeof(SCSI_PASS_THROUGH_DIRECT) == 56);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, DataTransferLength) == 12);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, TimeOutValue) == 16);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, DataBuffer) == 24);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, SenseInfoOffset) == 32);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, Cdb) == 36);

static_assert(sizeof(MARK_HANDLE_INFO) == 24);
static_assert(offsetof(MARK_HANDLE_INFO, VolumeHandle) == 8);
static_assert(offsetof(MARK_HANDLE_INFO, HandleInfo) == 16);
#else
static_assert(sizeof(GET_CONFIGURATION_IOCTL_INPUT) == 16);
static_assert(offsetof(GET_CONFIGURATION_IOCTL_INPUT, RequestType) == 4);
static_assert(offsetof(GET_CONFIGURATION_IOCTL_INPUT, Reserved) == 8);

static_assert(sizeof(SCSI_PASS_THROUGH_DIRECT) == 44);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, DataTransferLength) == 12);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, TimeOutValue) == 16);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, DataBuffer) == 20);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, SenseInfoOffset) == 24);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, Cdb) == 28);

static_assert(sizeof(MARK_HANDLE_INFO) == 12);
static_assert(offsetof(MARK_HANDLE_INFO, VolumeHandle) == 4);
static_assert(offsetof(MARK_HANDLE_INFO, HandleInfo) == 8);
#endif
// Fields at the same offset on both.
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, ScsiStatus) == 2);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, CdbLength) == 6);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, SenseInfoLength) == 7);
static_assert(offsetof(SCSI_PASS_THROUGH_DIRECT, DataIn) == 8);

}  // namespace discrec::device::windows
