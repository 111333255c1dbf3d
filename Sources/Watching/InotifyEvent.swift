import CLinux

/// One decoded inotify event.
package struct InotifyEvent: Sendable, Equatable {
    package var watch: Int32
    package var mask: UInt32
    package var cookie: UInt32
    /// The entry's name inside the watched directory; empty for events on the directory itself.
    package var name: String

    package init(watch: Int32, mask: UInt32, cookie: UInt32, name: String) {
        self.watch = watch
        self.mask = mask
        self.cookie = cookie
        self.name = name
    }

    package func has(_ flag: Int32) -> Bool { mask & UInt32(bitPattern: flag) != 0 }
    package func has(_ flag: UInt32) -> Bool { mask & flag != 0 }

    package var isDirectory: Bool { has(UInt32(IN_ISDIR)) }
    package var isOverflow: Bool { has(UInt32(IN_Q_OVERFLOW)) }

    /// Decodes the packed `struct inotify_event` records of one read.
    package static func decode(_ buffer: UnsafeRawBufferPointer) -> [InotifyEvent] {
        var events: [InotifyEvent] = []
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= buffer.count {
            let wd = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let cookie = buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            let length = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameBytes = UnsafeRawBufferPointer(rebasing: buffer[(offset + header)..<min(buffer.count, offset + header + length)])
            let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
            events.append(InotifyEvent(watch: wd, mask: mask, cookie: cookie, name: name))
            offset += header + length
        }
        return events
    }
}
