// Clang's thread-safety analysis (-Wthread-safety): attributes that say
// which capability (a mutex, or the right to run as a given thread) guards
// which data and which functions need it, checked at compile time.
//
// Expand to nothing on compilers other than clang (g++ builds the product;
// clang builds the fuzzers, whose build compiles every annotated library
// with -Werror=thread-safety, so a wrong lock fails ./test.sh).
// libstdc++'s std::mutex carries no annotations: annotated code locks a
// discrec::Mutex (base/mutex.h). See
// https://clang.llvm.org/docs/ThreadSafetyAnalysis.html for the semantics.
//
// Each macro is defined only if nothing defined it before: abseil (pulled
// in by gRPC) defines some of the same names, with the same meaning.
//
// Thread-safety: macros only.
#pragma once

#if defined(__clang__)
#define DISCREC_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define DISCREC_THREAD_ANNOTATION(x)
#endif

// On a class: its objects are capabilities ("mutex", "role").
#ifndef CAPABILITY
#define CAPABILITY(x) DISCREC_THREAD_ANNOTATION(capability(x))
#endif
// On a class: RAII objects that hold a capability for their lifetime.
#ifndef SCOPED_CAPABILITY
#define SCOPED_CAPABILITY DISCREC_THREAD_ANNOTATION(scoped_lockable)
#endif
// On a member: read and written only while holding the capability.
#ifndef GUARDED_BY
#define GUARDED_BY(x) DISCREC_THREAD_ANNOTATION(guarded_by(x))
#endif
// On a pointer member: what it points to is guarded by the capability.
#ifndef PT_GUARDED_BY
#define PT_GUARDED_BY(x) DISCREC_THREAD_ANNOTATION(pt_guarded_by(x))
#endif
// Lock ordering between capabilities.
#ifndef ACQUIRED_BEFORE
#define ACQUIRED_BEFORE(...) DISCREC_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#endif
#ifndef ACQUIRED_AFTER
#define ACQUIRED_AFTER(...) DISCREC_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#endif
// On a function: the caller must hold (REQUIRES) or must not hold
// (EXCLUDES) the capabilities.
#ifndef REQUIRES
#define REQUIRES(...) DISCREC_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#endif
#ifndef REQUIRES_SHARED
#define REQUIRES_SHARED(...) DISCREC_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#endif
#ifndef EXCLUDES
#define EXCLUDES(...) DISCREC_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#endif
// On a function: it acquires / releases the capabilities (none named: `this`).
#ifndef ACQUIRE
#define ACQUIRE(...) DISCREC_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#endif
#ifndef ACQUIRE_SHARED
#define ACQUIRE_SHARED(...) DISCREC_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#endif
#ifndef RELEASE
#define RELEASE(...) DISCREC_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#endif
#ifndef RELEASE_SHARED
#define RELEASE_SHARED(...) DISCREC_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#endif
// On a function returning bool: it acquired the capabilities iff it
// returned the first argument. (clang 14 does not honour it on a scoped
// capability's constructor: try_lock() the mutex, then adopt it.)
#ifndef TRY_ACQUIRE
#define TRY_ACQUIRE(...) DISCREC_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#endif
// On a function: after it returns, the capability is held (it checked, or
// it is known by construction, e.g. "this runs on the writer thread").
#ifndef ASSERT_CAPABILITY
#define ASSERT_CAPABILITY(x) DISCREC_THREAD_ANNOTATION(assert_capability(x))
#endif
// On a function: it returns (a reference to) the capability.
#ifndef RETURN_CAPABILITY
#define RETURN_CAPABILITY(x) DISCREC_THREAD_ANNOTATION(lock_returned(x))
#endif
// On a function: not analysed. For the rare code whose locking the analysis
// cannot follow; say why next to it.
#ifndef NO_THREAD_SAFETY_ANALYSIS
#define NO_THREAD_SAFETY_ANALYSIS DISCREC_THREAD_ANNOTATION(no_thread_safety_analysis)
#endif
