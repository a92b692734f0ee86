package helpers

import (
	"fmt"
	"strings"
	"syscall"
)

// IsFileWrite reports whether open flags ask for write access (O_WRONLY or O_RDWR).
func IsFileWrite(flags int) bool {
	mode := flags & syscall.O_ACCMODE
	return mode == syscall.O_WRONLY || mode == syscall.O_RDWR
}

// IsFileRead reports whether open flags ask for read access (O_RDONLY or O_RDWR).
func IsFileRead(flags int) bool {
	mode := flags & syscall.O_ACCMODE
	return mode == syscall.O_RDONLY || mode == syscall.O_RDWR
}

// IsMemoryPath reports whether pathname is backed by memory only: a memfd or a file under /dev/shm
// or /run/shm.
func IsMemoryPath(pathname string) bool {
	return strings.HasPrefix(pathname, "memfd:") || strings.HasPrefix(pathname, "/dev/shm/") ||
		strings.HasPrefix(pathname, "/run/shm/")
}

// IsElf reports whether the bytes start with the ELF magic.
func IsElf(b []byte) bool {
	return len(b) >= 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F'
}

// GetFamilyFromRawAddr returns the sa_family of a socket address map.
func GetFamilyFromRawAddr(addr map[string]string) (string, error) {
	family, ok := addr["sa_family"]
	if !ok {
		return "", fmt.Errorf("address has no sa_family")
	}
	return family, nil
}

// IsInternetFamily reports whether the address is AF_INET or AF_INET6.
func IsInternetFamily(addr map[string]string) (bool, error) {
	family, err := GetFamilyFromRawAddr(addr)
	if err != nil {
		return false, err
	}
	return family == "AF_INET" || family == "AF_INET6", nil
}

// IsUnixFamily reports whether the address is AF_UNIX.
func IsUnixFamily(addr map[string]string) (bool, error) {
	family, err := GetFamilyFromRawAddr(addr)
	if err != nil {
		return false, err
	}
	return family == "AF_UNIX", nil
}

// GetIPFromRawAddr returns the IP of an AF_INET or AF_INET6 address.
func GetIPFromRawAddr(addr map[string]string) (string, error) {
	return familyField(addr, "sin_addr", "sin6_addr", "")
}

// GetPortFromRawAddr returns the port of an AF_INET or AF_INET6 address.
func GetPortFromRawAddr(addr map[string]string) (string, error) {
	return familyField(addr, "sin_port", "sin6_port", "")
}

// GetPathFromRawAddr returns the path of an AF_UNIX address.
func GetPathFromRawAddr(addr map[string]string) (string, error) {
	return familyField(addr, "", "", "sun_path")
}

func familyField(addr map[string]string, inet, inet6, unix string) (string, error) {
	family, err := GetFamilyFromRawAddr(addr)
	if err != nil {
		return "", err
	}
	key := ""
	switch family {
	case "AF_INET":
		key = inet
	case "AF_INET6":
		key = inet6
	case "AF_UNIX":
		key = unix
	}
	if key == "" {
		return "", fmt.Errorf("address family %s not supported here", family)
	}
	v, ok := addr[key]
	if !ok {
		return "", fmt.Errorf("address has no %s", key)
	}
	return v, nil
}
