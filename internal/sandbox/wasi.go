package sandbox

import (
	"context"
	"encoding/binary"
	"io"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// WASI preview 1 errno values.
const (
	errnoSuccess = 0
	errnoBadf    = 8
	errnoFault   = 21
	errnoInval   = 28
	errnoNotsup  = 58
)

// wasiFuncs implement exactly the wasi_snapshot_preview1 subset of
// docs/abi.md, section 4: no file system, no environment, no sockets.
var wasiFuncs = map[string]hostFunc{
	"args_get":            wasiArgsGet,
	"args_sizes_get":      wasiArgsSizesGet,
	"environ_get":         func(_ context.Context, _ *invState, _ api.Module, s []uint64) { s[0] = errnoSuccess },
	"environ_sizes_get":   wasiEnvironSizesGet,
	"clock_time_get":      wasiClockTimeGet,
	"random_get":          wasiRandomGet,
	"fd_write":            wasiFdWrite,
	"poll_oneoff":         wasiPollOneoff,
	"sched_yield":         wasiSchedYield,
	"proc_exit":           wasiProcExit,
	"fd_close":            stdioOr(errnoSuccess),
	"fd_fdstat_get":       wasiFdstatGet,
	"fd_fdstat_set_flags": stdioOr(errnoNotsup),
	"fd_prestat_get":      badf, // no preopened directories: the Go runtime stops scanning at EBADF
	"fd_prestat_dir_name": badf,
}

func badf(_ context.Context, _ *invState, _ api.Module, s []uint64) { s[0] = errnoBadf }

// stdioOr answers errno for fds 0-2 and EBADF for any other.
func stdioOr(errno uint64) hostFunc {
	return func(_ context.Context, _ *invState, _ api.Module, s []uint64) {
		if uint32(s[0]) <= 2 {
			s[0] = errno
		} else {
			s[0] = errnoBadf
		}
	}
}

func wasiArgsSizesGet(_ context.Context, st *invState, mod api.Module, s []uint64) {
	mem := mod.Memory()
	if !mem.WriteUint32Le(uint32(s[0]), 1) || !mem.WriteUint32Le(uint32(s[1]), uint32(len(st.inv.Namespace.Extension)+1)) {
		s[0] = errnoFault
		return
	}
	s[0] = errnoSuccess
}

func wasiArgsGet(_ context.Context, st *invState, mod api.Module, s []uint64) {
	mem := mod.Memory()
	argv, buf := uint32(s[0]), uint32(s[1])
	if !mem.WriteUint32Le(argv, buf) || !mem.WriteString(buf, st.inv.Namespace.Extension) ||
		!mem.WriteByte(buf+uint32(len(st.inv.Namespace.Extension)), 0) {
		s[0] = errnoFault
		return
	}
	s[0] = errnoSuccess
}

func wasiEnvironSizesGet(_ context.Context, _ *invState, mod api.Module, s []uint64) {
	mem := mod.Memory()
	if !mem.WriteUint32Le(uint32(s[0]), 0) || !mem.WriteUint32Le(uint32(s[1]), 0) {
		s[0] = errnoFault
		return
	}
	s[0] = errnoSuccess
}

// clockNs reads WASI clock id: 0 realtime (the invocation's clock), 1
// monotonic.
func (st *invState) clockNs(id uint32) (int64, bool) {
	switch id {
	case 0:
		return st.now(), true
	case 1:
		return int64(time.Since(st.r.monoStart)), true
	}
	return 0, false
}

func wasiClockTimeGet(_ context.Context, st *invState, mod api.Module, s []uint64) {
	t, ok := st.clockNs(uint32(s[0]))
	if !ok {
		s[0] = errnoInval
		return
	}
	if !mod.Memory().WriteUint64Le(uint32(s[2]), uint64(t)) {
		s[0] = errnoFault
		return
	}
	s[0] = errnoSuccess
}

func wasiRandomGet(_ context.Context, st *invState, mod api.Module, s []uint64) {
	b, ok := mod.Memory().Read(uint32(s[0]), uint32(s[1]))
	if !ok {
		s[0] = errnoFault
		return
	}
	if _, err := io.ReadFull(st.random(), b); err != nil {
		s[0] = errnoInval
		return
	}
	s[0] = errnoSuccess
}

// wasiFdWrite sends fd 1 (info) and 2 (error) to the log, one line per
// newline-terminated line; the last partial line is flushed at the end of
// the invocation.
func wasiFdWrite(_ context.Context, st *invState, mod api.Module, s []uint64) {
	fd, iovs, n, nwritten := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	if fd != 1 && fd != 2 {
		s[0] = errnoBadf
		return
	}
	mem := mod.Memory()
	vec, ok := mem.Read(iovs, n*8)
	if !ok || n > 1<<16 {
		s[0] = errnoFault
		return
	}
	var total uint32
	for i := range n {
		p := binary.LittleEndian.Uint32(vec[i*8:])
		l := binary.LittleEndian.Uint32(vec[i*8+4:])
		b, ok := mem.Read(p, l)
		if !ok {
			s[0] = errnoFault
			return
		}
		st.writeStdio(int(fd), b)
		total += l
	}
	if !mem.WriteUint32Le(nwritten, total) {
		s[0] = errnoFault
		return
	}
	s[0] = errnoSuccess
}

func (st *invState) writeStdio(fd int, b []byte) {
	level := "info"
	if fd == 2 {
		level = "error"
	}
	for len(b) > 0 {
		i := indexNL(b)
		if i < 0 {
			if st.logFull {
				return
			}
			st.stdio[fd] = append(st.stdio[fd], b...)
			if len(st.stdio[fd]) > maxLogLineBytes { // a line too long: cut it
				st.addLog(level, string(st.stdio[fd]))
				st.stdio[fd] = st.stdio[fd][:0]
			}
			return
		}
		line := b[:i]
		if len(st.stdio[fd]) > 0 {
			line = append(st.stdio[fd], line...)
			st.stdio[fd] = st.stdio[fd][:0]
		}
		st.addLog(level, string(line))
		b = b[i+1:]
	}
}

func indexNL(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

func (st *invState) flushStdio() {
	for fd := 1; fd <= 2; fd++ {
		if len(st.stdio[fd]) > 0 {
			st.writeStdio(fd, []byte{'\n'})
		}
	}
}

// wasiSchedYield is called by the Go runtime when it yields and, in a
// countdown-instrumented module (see instrumentCountdown), every budget loop
// iterations or function calls. It is where a running guest is stopped: it
// aborts the guest once the invocation was halted, is past its deadline or
// its caller's context is done. Being Go code, it is also where the Go
// scheduler and garbage collector can preempt a guest that spins in native
// code.
func wasiSchedYield(ctx context.Context, st *invState, _ api.Module, s []uint64) {
	if st.phase.Load() != phaseRunning {
		panic(errStopped)
	}
	if !time.Now().Before(st.deadline) {
		st.halt(phaseTimedOut)
		panic(errStopped)
	}
	if ctx.Err() != nil {
		st.haltDone()
		panic(errStopped)
	}
	s[0] = errnoSuccess
}

// wasiProcExit ends the invocation; Invoke reports it as a failure with
// output "exit status <code>".
func wasiProcExit(_ context.Context, _ *invState, _ api.Module, s []uint64) {
	panic(sys.NewExitError(uint32(s[0])))
}

func wasiFdstatGet(_ context.Context, _ *invState, mod api.Module, s []uint64) {
	if uint32(s[0]) > 2 {
		s[0] = errnoBadf
		return
	}
	var stat [24]byte
	stat[0] = 2 // character device; no flags, no rights
	if !mod.Memory().Write(uint32(s[1]), stat[:]) {
		s[0] = errnoFault
		return
	}
	s[0] = errnoSuccess
}

const (
	subscriptionSize = 48
	eventSize        = 32
	eventClock       = 0
)

// wasiPollOneoff waits for clock subscriptions (Go timers and time.Sleep)
// and completes fd subscriptions at once with EBADF. A wait never outlives
// the invocation: at its deadline or cancellation the call aborts the guest.
func wasiPollOneoff(ctx context.Context, st *invState, mod api.Module, s []uint64) {
	in, out, n, neventsPtr := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	mem := mod.Memory()
	if n == 0 {
		s[0] = errnoInval
		return
	}
	subs, ok := mem.Read(in, n*subscriptionSize)
	if !ok || n > 1<<12 {
		s[0] = errnoFault
		return
	}
	if _, ok := mem.Read(out, n*eventSize); !ok {
		s[0] = errnoFault
		return
	}
	type clockSub struct {
		userdata uint64
		wait     time.Duration
		errno    uint16
	}
	var events [][eventSize]byte
	var clocks []clockSub
	minWait := time.Duration(-1)
	for i := range n {
		sub := subs[i*subscriptionSize:]
		userdata := binary.LittleEndian.Uint64(sub)
		var ev [eventSize]byte
		binary.LittleEndian.PutUint64(ev[:], userdata)
		switch sub[8] {
		case eventClock:
			id := binary.LittleEndian.Uint32(sub[16:])
			timeout := binary.LittleEndian.Uint64(sub[24:])
			flags := binary.LittleEndian.Uint16(sub[40:])
			now, ok := st.clockNs(id)
			if !ok {
				clocks = append(clocks, clockSub{userdata: userdata, errno: errnoInval})
				minWait = 0
				continue
			}
			wait := time.Duration(timeout)
			if flags&1 != 0 { // absolute time
				wait = time.Duration(int64(timeout) - now)
			}
			wait = max(wait, 0)
			clocks = append(clocks, clockSub{userdata: userdata, wait: wait})
			if minWait < 0 || wait < minWait {
				minWait = wait
			}
		default: // fd_read / fd_write: no readable or writable fds here
			binary.LittleEndian.PutUint16(ev[8:], errnoBadf)
			ev[10] = sub[8]
			events = append(events, ev)
		}
	}
	if len(events) == 0 && minWait > 0 {
		st.sleep(ctx, minWait)
	}
	if len(events) == 0 {
		for _, c := range clocks {
			if c.wait <= minWait {
				var ev [eventSize]byte
				binary.LittleEndian.PutUint64(ev[:], c.userdata)
				binary.LittleEndian.PutUint16(ev[8:], c.errno)
				ev[10] = eventClock
				events = append(events, ev)
			}
		}
	}
	for i, ev := range events {
		mem.Write(out+uint32(i)*eventSize, ev[:])
	}
	if !mem.WriteUint32Le(neventsPtr, uint32(len(events))) {
		s[0] = errnoFault
		return
	}
	s[0] = errnoSuccess
}

// sleep waits for d, but aborts the guest when the invocation reaches its
// deadline or ctx is canceled first.
func (st *invState) sleep(ctx context.Context, d time.Duration) {
	remaining := time.Until(st.deadline)
	if d < remaining {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			if st.phase.Load() != phaseRunning {
				panic(errStopped)
			}
			return
		case <-ctx.Done():
			st.haltDone()
			panic(errStopped)
		}
	}
	t := time.NewTimer(max(remaining, 0))
	defer t.Stop()
	select {
	case <-t.C:
		st.halt(phaseTimedOut)
	case <-ctx.Done():
		st.haltDone()
	}
	panic(errStopped)
}

// haltDone stops the invocation after its call context ended: at the
// invocation's deadline a timeout, otherwise the caller's cancellation.
func (st *invState) haltDone() {
	if !time.Now().Before(st.deadline) {
		st.halt(phaseTimedOut)
		return
	}
	st.halt(phaseCanceled)
}
