import Foundation
import Glibc
import Testing

/// A child process on a pseudo-terminal (the built `editlab` binary), driven like a user.
final class PtyProcess {
    let master: Int32
    let pid: pid_t
    private(set) var output = ""
    private var cursor: String.Index

    init(_ arguments: [String], environment extra: [String: String] = [:]) throws {
        let binary = try ScriptingFixtures.editlabBinary()
        var m: Int32 = -1, s: Int32 = -1
        var size = winsize(ws_row: 40, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&m, &s, nil, nil, &size) == 0, let name = ttyname(s) else {
            throw FixtureMissing(message: "cannot open a pseudo-terminal")
        }
        let slave = String(cString: name)
        defer { close(s) }
        master = m
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        posix_spawn_file_actions_addclose(&fa, m)
        posix_spawn_file_actions_addclose(&fa, s)
        // opened after setsid: the terminal becomes the child's controlling terminal, so ^C
        // written to the master reaches it as SIGINT
        posix_spawn_file_actions_addopen(&fa, 0, slave, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&fa, 0, 1)
        posix_spawn_file_actions_adddup2(&fa, 0, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        let POSIX_SPAWN_SETSID: Int16 = 0x80  // glibc's value (not exported to Swift)
        var sigs = sigset_t()
        sigemptyset(&sigs)
        posix_spawnattr_setsigmask(&attr, &sigs)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm"
        for (k, v) in extra { env[k] = v }
        let argv = [binary] + arguments
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, binary, &fa, &attr, cArgs, cEnv)
        guard rc == 0 else {
            close(m)
            throw FixtureMissing(message: "posix_spawn failed: \(rc)")
        }
        pid = child
        cursor = output.startIndex
        _ = fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(master)
    }

    /// Reads what is available, waiting up to `timeout` seconds for something.
    private func pump(_ timeout: Double) {
        var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, Int32(timeout * 1000)) <= 0 { return }
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(master, &buf, buf.count)
            if n <= 0 { break }
            output += String(decoding: buf[0..<n], as: UTF8.self)
        }
    }

    /// Waits until `text` appears after the cursor (then moves the cursor past it).
    @discardableResult
    func expect(_ text: String, timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let idx = cursor <= output.endIndex ? cursor : output.endIndex
            if let r = output.range(of: text, range: idx..<output.endIndex) {
                cursor = r.upperBound
                return true
            }
            if Date() > deadline {
                Issue.record("timed out waiting for \(text.debugDescription); output after the cursor: \(String(output[idx...]).debugDescription)",
                             sourceLocation: sourceLocation)
                return false
            }
            pump(0.1)
        }
    }

    /// Waits for the prompt, then a moment more: libedit prints the prompt before it takes the
    /// terminal (raw mode, its signal handlers), and the test types no faster than a person.
    func prompt(_ p: String = "> ", sourceLocation: SourceLocation = #_sourceLocation) {
        expect(p, sourceLocation: sourceLocation)
        usleep(250_000)
    }

    /// Everything after the cursor, after waiting `seconds`.
    func drain(_ seconds: Double) -> String {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end { pump(0.05) }
        return String(output[cursor...])
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            if n > 0 { off += n } else { usleep(10_000) }
        }
    }

    /// Waits for the process to exit; its status, or nil after `timeout`.
    func waitExit(timeout: Double = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            pump(0.05)
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
        }
        return nil
    }
}

/// Runs the built binary with pipes; returns (status, stdout, stderr).
func runEditlab(_ args: [String], stdin: String = "", cwd: String? = nil) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try ScriptingFixtures.editlabBinary())
    p.arguments = args
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    inp.fileHandleForWriting.write(stdin.data(using: .utf8) ?? Data())
    try inp.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// ${EDITLAB_HOME:-~/.cache/editlab}/models of the test's environment.
func installedModelsDirectory() -> String {
    let env = ProcessInfo.processInfo.environment
    let home = env["EDITLAB_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.cache/editlab")
    return home + "/models"
}

func temporaryDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "editlab-test-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite("editlab run and editlab repl (processes)")
struct TerminalTests {
    @Test func runPassesArgumentsAndFindsModulesNextToTheScript() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "return { value = 42 }\n".write(toFile: dir + "/helper.lua", atomically: true, encoding: .utf8)
        try """
        local helper = require("helper")
        print(helper.value, arg[0]:match("[^/]+$"), arg[1], arg[2], arg[-1], select("#", ...), (...))
        print(tensor.ones(2):sum())
        """.write(toFile: dir + "/main.lua", atomically: true, encoding: .utf8)
        let (status, out, err) = try runEditlab(["run", dir + "/main.lua", "alpha", "--beta"], cwd: "/")
        #expect(status == 0, "\(err)")
        #expect(out == "42\tmain.lua\talpha\t--beta\trun\t2\talpha\n2.0\n", "\(out)")
    }

    @Test func runFailsWithATracebackNamingTheScript() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        local function inner()
          return tensor.zeros(2):narrow(7, 1, 1)
        end
        print("before")
        inner()
        """.write(toFile: dir + "/fail.lua", atomically: true, encoding: .utf8)
        let (status, out, err) = try runEditlab(["run", dir + "/fail.lua"])
        #expect(status == 1)
        #expect(out == "before\n")
        #expect(err.contains("fail.lua:2: bad argument #1 to 'Tensor:narrow' (dimension 7 out of range"), "\(err)")
        #expect(err.contains("stack traceback:") && err.contains("fail.lua:5: in main chunk"), "\(err)")
        try "x = = 1\n".write(toFile: dir + "/syntax.lua", atomically: true, encoding: .utf8)
        let (s2, _, e2) = try runEditlab(["run", dir + "/syntax.lua"])
        #expect(s2 == 1 && e2.contains("syntax.lua:1: unexpected symbol near '='"), "\(e2)")
        let (s3, _, e3) = try runEditlab(["run", dir + "/missing.lua"])
        #expect(s3 == 1 && e3.contains("cannot open"), "\(e3)")
    }

    @Test func ctrlCInterruptsAScriptWithATraceback() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "print('started')\nlocal n = 0\nwhile true do n = n + 1 end\n".write(toFile: dir + "/loop.lua", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try ScriptingFixtures.editlabBinary())
        p.arguments = ["run", dir + "/loop.lua"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let pid = p.processIdentifier
        // the child inherits this thread's blocked signals: only SIGKILL is sure to end it
        DispatchQueue.global().asyncAfter(deadline: .now() + 30) { kill(pid, SIGKILL) }
        let started = out.fileHandleForReading.availableData  // blocks until "started" is printed
        #expect(String(decoding: started, as: UTF8.self) == "started\n")
        usleep(200_000)
        p.interrupt()  // SIGINT
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let message = String(decoding: e, as: UTF8.self)
        #expect(p.terminationStatus == 1)
        #expect(message.contains("interrupted!") && message.contains("loop.lua:3:"), "\(message)")
    }

    @Test func replReadsAPipeWithoutPrompts() throws {
        let (status, out, err) = try runEditlab(["repl"], stdin: "1 + 1\nfor i = 1, 2 do\nprint(i)\nend\nerror('x')\nprint('after')\n")
        #expect(out == "2\n1\n2\nafter\n", "\(out)")
        #expect(err.contains("stdin:1: x"))
        #expect(status == 1, "a failed chunk makes the exit status 1")
        let (s2, o2, _) = try runEditlab(["repl", "--model", ScriptingFixtures.fixtures + "/tiny-llama"], stdin: "m.config.n_layers\n")
        #expect(s2 == 0 && o2 == "2\n", "\(o2)")
    }

    @Test func interactiveSession() throws {
        let home = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let p = try PtyProcess(["repl"], environment: ["EDITLAB_HOME": home])
        p.expect("help() for help")
        p.prompt()
        // continuation lines
        p.send("for i = 1, 3 do\r")
        p.prompt(">> ")
        p.send("print(i * 10)\r")
        p.prompt(">> ")
        p.send("end\r")
        p.expect("10\r\n20\r\n30\r\n")
        p.prompt()
        // expressions print; tensors summarised
        p.send("tensor.ones(2, 3)\r")
        p.expect("[Tensor f32 2x3]")
        p.prompt()
        // an error, then more input
        p.send("error('boom')\r")
        p.expect("stdin:1: boom")
        p.prompt()
        p.send("x = 41\r")
        p.prompt()
        p.send("x + 1\r")
        p.expect("42")
        p.prompt()
        // tab completion: "tensor.ey" + Tab becomes tensor.eye
        p.send("tensor.ey\t")
        usleep(200_000)
        p.send("(2):sum()\r")
        p.expect("2.0")
        p.prompt()
        // Ctrl-C stops a running loop and returns to the prompt
        p.send("while true do end\r")
        _ = p.drain(0.5)
        p.send("\u{03}")
        p.expect("interrupted!", timeout: 10)
        p.prompt()
        p.send("print('alive')\r")
        p.expect("alive")
        p.prompt()
        // Ctrl-C at the prompt discards the line. It is pressed after the line is echoed, as a
        // person would: a Ctrl-C sent with the keystrokes can arrive while libedit is between
        // two reads, and is then lost (no new prompt; the line goes on).
        p.send("this is not lua")
        p.expect("this is not lua")
        p.send("\u{03}")
        p.prompt()
        p.send("print('still here')\r")
        p.expect("still here")
        // typed ahead, before libedit has the terminal: the tty driver discards the line
        p.expect("> ")
        p.send("more junk\u{03}")
        usleep(300_000)
        p.send("print('after ' .. 'race')\r")
        p.expect("after race")
        p.prompt()
        // Ctrl-D quits
        p.send("\u{04}")
        #expect(p.waitExit() == 0)
        // libedit's history file escapes spaces and newlines (strvis)
        let history = ((try? String(contentsOfFile: home + "/repl_history", encoding: .utf8)) ?? "")
            .replacingOccurrences(of: "\\040", with: " ").replacingOccurrences(of: "\\012", with: "\n")
        #expect(history.contains("x + 1") && history.contains("print('alive')"), "history: \(history)")
        #expect(history.contains("for i = 1, 3 do\nprint(i * 10)\nend"), "a multi-line chunk is one entry")
        #expect(!history.contains("this is not lua"))
    }

    @Test func historyPersistsAcrossSessions() throws {
        let home = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }
        do {
            let p = try PtyProcess(["repl"], environment: ["EDITLAB_HOME": home])
            p.prompt()
            p.send("answer = 6 * 7\r")
            p.prompt()
            p.send("\u{04}")
            #expect(p.waitExit() == 0)
        }
        let p = try PtyProcess(["repl"], environment: ["EDITLAB_HOME": home])
        p.prompt()
        p.send("\u{1b}[A")  // up arrow: the previous session's line
        p.expect("answer = 6 * 7")
        p.send("\r")
        p.prompt()
        p.send("answer\r")
        p.expect("42")
        p.prompt()
        p.send("\u{04}")
        #expect(p.waitExit() == 0)
    }

    @Test func modelSessionCompletesHookNamesAndInterruptsSwiftComputations() throws {
        let home = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }
        // EDITLAB_HOME also locates the installed models: link them into the test's home
        try FileManager.default.createSymbolicLink(atPath: home + "/models", withDestinationPath: installedModelsDirectory())
        let p = try PtyProcess(["repl", "--model", "smollm2"], environment: ["EDITLAB_HOME": home])
        p.expect("m = Model", timeout: 60)
        p.prompt()
        p.send("m.config.n_lay\t")
        usleep(200_000)
        p.send("\r")
        p.expect("\r\n30\r\n")
        p.prompt()
        p.send("m:add_hook(\"blocks.29.hook_resid_po\t")
        usleep(200_000)
        p.send("\", function(x) end)\r")
        p.expect("\r\n1\r\n")  // the hook id: the name was completed to a real hook point
        p.prompt()
        p.send("m:remove_hooks()\r")
        p.prompt()
        // a long computation in Swift (no Lua instructions run): Ctrl-C reaches it through
        // Cancellation and the prompt comes back
        p.send("m:generate('Hello', {max_tokens = 8000, stop_at_eos = false})\r")
        _ = p.drain(1.5)
        let sent = Date()
        p.send("\u{03}")
        p.expect("interrupted!", timeout: 15)
        p.prompt()
        #expect(Date().timeIntervalSince(sent) < 10, "the interrupt took effect promptly")
        p.send("m:generate('The capital of France is', {max_tokens = 2})\r")
        p.expect("Paris")
        p.prompt()
        p.send("\u{04}")
        #expect(p.waitExit() == 0)
    }
}
