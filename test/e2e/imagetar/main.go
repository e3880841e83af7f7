// Command imagetar writes a container image archive, in the `docker save` format that
// `ctr images import` reads, from root filesystem folders, without a container engine or a
// registry. Each folder becomes one layer, in the order given; files keep their owners and
// modes, hard links stay links, and the contents of /proc, /sys and /dev are left out (the
// runtime mounts them). hack/cluster.sh and the e2e suite build the node's images with it.
//
//	go run ./test/e2e/imagetar -tag NAME:TAG [-tag ...] -entrypoint '["/platform"]' \
//	    -cmd '["serve"]' -user 65532 -env PATH=/bin -o image.tar ROOTFS...
package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// imageConfig is the part of the OCI image configuration a runtime reads.
type imageConfig struct {
	Architecture string    `json:"architecture"`
	OS           string    `json:"os"`
	Config       runConfig `json:"config"`
	RootFS       struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

type runConfig struct {
	User       string   `json:"User,omitempty"`
	Env        []string `json:"Env,omitempty"`
	Entrypoint []string `json:"Entrypoint,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
	WorkingDir string   `json:"WorkingDir,omitempty"`
}

type manifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func main() {
	var tags, env list
	var entrypoint, cmd, user, workdir, out string
	flag.Var(&tags, "tag", "image name with tag (repeatable)")
	flag.Var(&env, "env", "NAME=VALUE in the image's environment (repeatable)")
	flag.StringVar(&entrypoint, "entrypoint", "", "entrypoint as a JSON array")
	flag.StringVar(&cmd, "cmd", "", "command as a JSON array")
	flag.StringVar(&user, "user", "", "user (uid or uid:gid)")
	flag.StringVar(&workdir, "workdir", "/", "working directory")
	flag.StringVar(&out, "o", "", "archive to write")
	flag.Parse()
	if len(tags) == 0 || out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: imagetar -tag NAME:TAG [flags] -o OUT.tar ROOTFS...")
		os.Exit(2)
	}
	cfg := imageConfig{Architecture: "amd64", OS: "linux"}
	cfg.RootFS.Type = "layers"
	cfg.Config = runConfig{User: user, Env: env, WorkingDir: workdir}
	for _, a := range []struct {
		flag string
		dst  *[]string
	}{{entrypoint, &cfg.Config.Entrypoint}, {cmd, &cfg.Config.Cmd}} {
		if a.flag == "" {
			continue
		}
		if err := json.Unmarshal([]byte(a.flag), a.dst); err != nil {
			fail(fmt.Errorf("%q is not a JSON array of strings: %w", a.flag, err))
		}
	}
	if err := write(out, tags, cfg, flag.Args()); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "imagetar:", err)
	os.Exit(1)
}

// write makes the archive: each layer as an uncompressed tar, the configuration, and
// manifest.json naming them.
func write(out string, tags []string, cfg imageConfig, rootfs []string) (err error) {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(out)
		}
	}()
	archive := tar.NewWriter(f)
	entry := manifestEntry{RepoTags: tags}
	for _, dir := range rootfs {
		layer, err := os.CreateTemp("", "layer-*.tar")
		if err != nil {
			return err
		}
		defer os.Remove(layer.Name())
		digest, err := writeLayer(layer, dir)
		if err == nil {
			_, err = layer.Seek(0, io.SeekStart)
		}
		if err != nil {
			layer.Close()
			return fmt.Errorf("layer from %s: %w", dir, err)
		}
		name := digest + "/layer.tar"
		err = addFile(archive, name, layer)
		layer.Close()
		if err != nil {
			return err
		}
		entry.Layers = append(entry.Layers, name)
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, "sha256:"+digest)
	}
	config, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(config)
	entry.Config = hex.EncodeToString(sum[:]) + ".json"
	manifest, err := json.Marshal([]manifestEntry{entry})
	if err != nil {
		return err
	}
	for _, file := range []struct {
		name string
		body []byte
	}{{entry.Config, config}, {"manifest.json", manifest}} {
		if err := addBytes(archive, file.name, file.body); err != nil {
			return err
		}
	}
	return archive.Close()
}

// writeLayer writes dir as a tar to w and returns the tar's sha256 (the layer's diff id).
func writeLayer(w io.Writer, dir string) (string, error) {
	h := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(w, h))
	links := map[[2]uint64]string{} // (device, inode) of a file with several links -> first name
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() && (name == "proc" || name == "sys" || name == "dev") {
			// Kept as empty folders: the runtime mounts them.
			info, err := d.Info()
			if err != nil {
				return err
			}
			hdr, err := tar.FileInfoHeader(info, "")
			if err != nil {
				return err
			}
			hdr.Name = name + "/"
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			return fs.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if target, err = os.Readlink(path); err != nil {
				return err
			}
		}
		if info.Mode()&(fs.ModeSocket|fs.ModeNamedPipe|fs.ModeDevice) != 0 {
			return nil
		}
		hdr, err := tar.FileInfoHeader(info, target)
		if err != nil {
			return err
		}
		hdr.Name = name
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		if st, ok := info.Sys().(*syscall.Stat_t); ok && info.Mode().IsRegular() && st.Nlink > 1 {
			key := [2]uint64{st.Dev, st.Ino}
			if first, seen := links[key]; seen {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				links[key] = name
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.Copy(tw, f)
		if err == nil && n != hdr.Size {
			err = errors.New(path + " changed while it was read")
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func addFile(tw *tar.Writer, name string, f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: info.Size(), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

func addBytes(tw *tar.Writer, name string, body []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := tw.Write(body)
	return err
}
