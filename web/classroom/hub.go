package classroom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is the JetStream key-value bucket rooms live in. Its keys:
//
//	room.CODE                   the Room, JSON
//	count.CODE                  how many students joined
//	member.CODE.STUDENT         a student who joined: their nickname, JSON ("" if none)
//	vote.CODE.Q.ROUND.STUDENT   a student's answer to question Q in a round: the choice's index
const Bucket = "synack_class"

// subject is where what is not the room's state is published: SUBJECT.CODE.vote each
// answer as it is counted, SUBJECT.CODE.students the count of students as it grows.
// The room's state itself reaches the replicas from the bucket, which they watch.
const subject = "synack.class"

// Config configures a Hub. Zero values take the defaults.
type Config struct {
	// URL is an external NATS server or cluster ("nats://host:4222,nats://host2:4222");
	// empty starts an embedded nats-server with JetStream in memory, in this process.
	URL string
	// Name names this replica's NATS connection (monitoring shows it).
	Name        string
	MaxStudents int           // DefaultMaxStudents when zero
	MaxRooms    int           // DefaultMaxRooms when zero
	Lifetime    time.Duration // RoomLifetime when zero
	// WriteTimeout bounds one write to a socket (WriteTimeout when zero); a test
	// shortens it.
	WriteTimeout time.Duration
	// Now is the clock rooms expire by (time.Now when nil); a test moves it.
	Now    func() time.Time
	Logger *slog.Logger
}

// Hub is one replica's door to the classroom: its NATS connection, the bucket, and the
// rooms that have sockets on this replica.
type Hub struct {
	cfg      Config
	log      *slog.Logger
	embedded *server.Server
	storeDir string // the embedded server's folder
	nc       *nats.Conn
	kv       jetstream.KeyValue

	mu    sync.Mutex
	rooms map[string]*local
	known map[string]known // rooms with sockets here, as last stored here
	// joining makes the joins of one room on this replica take turns.
	joining map[string]*sync.Mutex

	// fan writes the rooms' messages to their sockets here.
	fan *fanout

	// ctx ends the sockets when the hub closes; sessions counts them.
	ctx      context.Context
	cancel   context.CancelFunc
	sessions sync.WaitGroup
}

// Open connects to NATS (or starts the embedded server) and opens the bucket.
func Open(ctx context.Context, cfg Config) (*Hub, error) {
	if cfg.MaxStudents == 0 {
		cfg.MaxStudents = DefaultMaxStudents
	}
	if cfg.MaxRooms == 0 {
		cfg.MaxRooms = DefaultMaxRooms
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = RoomLifetime
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = WriteTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Name == "" {
		host, _ := os.Hostname()
		cfg.Name = "synack " + host + " " + strconv.Itoa(os.Getpid())
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, rooms: map[string]*local{}, known: map[string]known{}, joining: map[string]*sync.Mutex{}}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.fan = newFanout(cfg.WriteTimeout)
	opts := []nats.Option{nats.Name(cfg.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		// A fan-out to hundreds of rooms must not be dropped as a slow consumer.
		nats.ReconnectBufSize(16 << 20)}
	url := cfg.URL
	storage := jetstream.FileStorage
	if url == "" {
		// JetStream wants a folder even when the bucket is in memory: a private one,
		// removed with the hub.
		dir, err := os.MkdirTemp("", "synack-nats-")
		if err != nil {
			return nil, fmt.Errorf("classroom: a folder for the embedded nats-server: %w", err)
		}
		h.storeDir = dir
		ns, err := server.NewServer(&server.Options{ServerName: "synack-embedded", DontListen: true, JetStream: true,
			JetStreamMaxMemory: 256 << 20, JetStreamMaxStore: -1, StoreDir: dir, NoSigs: true, NoLog: true})
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("classroom: starting the embedded nats-server: %w", err)
		}
		ns.Start()
		if !ns.ReadyForConnections(10 * time.Second) {
			ns.Shutdown()
			return nil, errors.New("classroom: the embedded nats-server did not start")
		}
		h.embedded = ns
		opts = append(opts, nats.InProcessServer(ns))
		storage = jetstream.MemoryStorage
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("classroom: connecting to NATS at %s: %w", url, err)
	}
	h.nc = nc
	// A lecture hall joining at once keeps the store busy: an operation waits longer
	// than the default 5 s before it counts as failed.
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(OpTimeout))
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("classroom: JetStream: %w", err)
	}
	kctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The bucket forgets a key once it has not been written for a room's lifetime and a
	// margin: an expired room's keys go away by themselves.
	kv, err := js.CreateOrUpdateKeyValue(kctx, jetstream.KeyValueConfig{Bucket: Bucket, History: 1, Storage: storage,
		TTL: cfg.Lifetime + time.Hour, Description: "synack classroom rooms"})
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("classroom: the key-value bucket %s (is JetStream enabled on the NATS server?): %w", Bucket, err)
	}
	h.kv = kv
	return h, nil
}

// Close ends the rooms' sockets on this replica, the NATS connection and the
// embedded server.
func (h *Hub) Close() {
	h.cancel()
	h.sessions.Wait()
	h.fan.close()
	if h.nc != nil {
		h.nc.Drain()
		h.nc.Close()
	}
	if h.embedded != nil {
		h.embedded.Shutdown()
		h.embedded.WaitForShutdown()
	}
	if h.storeDir != "" {
		os.RemoveAll(h.storeDir)
	}
}

// Spec is what a room is created from.
type Spec struct {
	Lesson    string
	Query     string
	Lang      string
	Questions []Question
}

// Create opens a new room and returns it with the teacher's secret, which only the
// teacher gets (the room keeps its hash).
func (h *Hub) Create(ctx context.Context, sp Spec) (*Room, string, error) {
	if len(sp.Questions) > MaxQuestions {
		return nil, "", fmt.Errorf("%w: %d questions, at most %d", ErrBadRequest, len(sp.Questions), MaxQuestions)
	}
	for _, q := range sp.Questions {
		if len(q.Choices) > MaxChoices {
			return nil, "", fmt.Errorf("%w: %d choices, at most %d", ErrBadRequest, len(q.Choices), MaxChoices)
		}
	}
	n, err := h.liveRooms(ctx)
	if err != nil {
		return nil, "", err
	}
	if n >= h.cfg.MaxRooms {
		return nil, "", ErrTooManyRooms
	}
	key := newSecret()
	now := h.cfg.Now()
	r := &Room{KeyHash: hashKey(key), Lesson: sp.Lesson, Query: sp.Query, Lang: sp.Lang, Created: now,
		Expires: now.Add(h.cfg.Lifetime), Questions: sp.Questions, Question: -1}
	for range 8 {
		r.Code = newCode()
		b, _ := json.Marshal(r)
		if _, err := h.kv.Create(ctx, "room."+r.Code, b); err == nil {
			return r, key, nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, "", fmt.Errorf("classroom: storing the room: %w", err)
		}
	}
	return nil, "", errors.New("classroom: no free room code after 8 tries")
}

// liveRooms counts the rooms that have not expired.
func (h *Hub) liveRooms(ctx context.Context) (int, error) {
	kl, err := h.kv.ListKeysFiltered(ctx, "room.*")
	if err != nil {
		return 0, fmt.Errorf("classroom: listing rooms: %w", err)
	}
	defer kl.Stop()
	n := 0
	for k := range kl.Keys() {
		if _, _, err := h.Get(ctx, strings.TrimPrefix(k, "room.")); err == nil {
			n++
		}
	}
	return n, nil
}

// Get reads a room: ErrNoRoom for a code that never was (or was forgotten), ErrExpired
// for one past its lifetime.
func (h *Hub) Get(ctx context.Context, code string) (*Room, uint64, error) {
	if NormalizeCode(code) != code {
		return nil, 0, ErrNoRoom
	}
	e, err := h.kv.Get(ctx, "room."+code)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, 0, ErrNoRoom
	}
	if err != nil {
		return nil, 0, fmt.Errorf("classroom: reading room %s: %w", code, err)
	}
	var r Room
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, 0, fmt.Errorf("classroom: room %s is damaged: %w", code, err)
	}
	if !h.cfg.Now().Before(r.Expires) {
		return nil, 0, ErrExpired
	}
	return &r, e.Revision(), nil
}

// update changes a room with f and stores it if nobody else changed it meanwhile (else
// reads it again and retries), then publishes it to every replica.
func (h *Hub) update(ctx context.Context, code string, f func(*Room) error) (*Room, error) {
	for try := range 50 {
		// The room as this replica last stored it saves a read, when nobody changed it
		// since (the bucket refuses the update otherwise, and the room is read again).
		r, rev, ok := h.cached(code)
		if !ok || try > 0 {
			var err error
			if r, rev, err = h.Get(ctx, code); err != nil {
				return nil, err
			}
		}
		if err := f(r); err != nil {
			return r, err
		}
		b, _ := json.Marshal(r)
		nrev, err := h.kv.Update(ctx, "room."+code, b, rev)
		if err != nil {
			if isConflict(err) {
				// Someone else changed the room: read it again after a short random
				// wait, so that joins racing on two replicas do not race again.
				time.Sleep(time.Duration(rand.Int64N(int64(time.Millisecond) << min(try, 5))))
				continue
			}
			return nil, fmt.Errorf("classroom: storing room %s: %w", code, err)
		}
		// Every replica watching the room gets the stored change from the bucket; the
		// bucket's revision orders the states, and a replica keeps only a state newer
		// than the one it has.
		h.remember(code, r, nrev)
		// This replica's sockets need not wait for the change to come back through
		// NATS: they get it now, and the copy from the bucket is then not newer.
		h.mu.Lock()
		l := h.rooms[code]
		h.mu.Unlock()
		if l != nil {
			l.setState(r, nrev)
		}
		return r, nil
	}
	return nil, fmt.Errorf("classroom: room %s is changing too fast", code)
}

// known is a room as this replica last stored it.
type known struct {
	room Room
	rev  uint64
}

// cached returns a copy of the room as this replica last stored it, if it has not
// expired. The copy may be changed: a change replaces Counts, never edits it.
func (h *Hub) cached(code string) (*Room, uint64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k, ok := h.known[code]
	if !ok || !h.cfg.Now().Before(k.room.Expires) {
		return nil, 0, false
	}
	r := k.room
	return &r, k.rev, true
}

// remember keeps a room this replica stored, while it has sockets here.
func (h *Hub) remember(code string, r *Room, rev uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.rooms[code]; ok {
		h.known[code] = known{room: *r, rev: rev}
	}
}

func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) || (errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence)
}

// Command carries out a teacher's command; key must be the room's teacher secret.
func (h *Hub) Command(ctx context.Context, code, key string, c Command) (*Room, error) {
	return h.update(ctx, code, func(r *Room) error {
		if !r.IsTeacher(key) {
			return ErrNotTeacher
		}
		return r.apply(c, func() ([]int, error) {
			votes, err := h.tally(ctx, code, r.Question, r.Round)
			if err != nil {
				return nil, err
			}
			counts := make([]int, len(r.Questions[r.Question].Choices))
			for _, c := range votes {
				if c >= 0 && c < len(counts) {
					counts[c]++
				}
			}
			return counts, nil
		})
	})
}

// Join admits a student. A phone that comes back with the id it was given is the same
// student (not counted again); otherwise a new id is handed out, if the room has room.
func (h *Hub) Join(ctx context.Context, code, student, nick string) (string, *Room, error) {
	r, _, err := h.Get(ctx, code)
	if err != nil {
		return "", nil, err
	}
	if validStudentID(student) {
		if _, err := h.kv.Get(ctx, "member."+code+"."+student); err == nil {
			return student, r, nil
		}
	}
	n, err := h.count(ctx, code)
	if err != nil {
		return "", r, err
	}
	student = newSecret()
	nb, _ := json.Marshal(CleanNickname(nick))
	if _, err := h.kv.Create(ctx, "member."+code+"."+student, nb); err != nil {
		return "", nil, fmt.Errorf("classroom: storing a member of %s: %w", code, err)
	}
	// Only the teachers hear of it: nothing a student sees changes.
	b, _ := json.Marshal(map[string]any{"type": "students", "students": n})
	h.nc.Publish(subject+"."+code+".students", b)
	return student, r, nil
}

// count adds a student to a room's count ("count.CODE", apart from the room so that
// joins and the teacher's commands never race), refusing one past MaxStudents. The
// joins of one room on this replica take turns, so only joins on other replicas race
// with them; the bucket refuses a stale count, which is read again.
func (h *Hub) count(ctx context.Context, code string) (int, error) {
	h.mu.Lock()
	mu := h.joining[code]
	if mu == nil {
		mu = &sync.Mutex{}
		h.joining[code] = mu
	}
	h.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	key := "count." + code
	for try := range 50 {
		var n int
		var rev uint64
		if e, err := h.kv.Get(ctx, key); err == nil {
			n, _ = strconv.Atoi(string(e.Value()))
			rev = e.Revision()
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return 0, fmt.Errorf("classroom: counting the students of %s: %w", code, err)
		}
		if n >= h.cfg.MaxStudents {
			return n, ErrRoomFull
		}
		var err error
		if rev == 0 {
			_, err = h.kv.Create(ctx, key, []byte(strconv.Itoa(n+1)))
		} else {
			_, err = h.kv.Update(ctx, key, []byte(strconv.Itoa(n+1)), rev)
		}
		if err == nil {
			return n + 1, nil
		}
		if !isConflict(err) {
			return 0, fmt.Errorf("classroom: counting the students of %s: %w", code, err)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(time.Millisecond) << min(try, 5))))
	}
	return 0, fmt.Errorf("classroom: room %s is joined too fast", code)
}

// Students is how many students have joined a room.
func (h *Hub) Students(ctx context.Context, code string) int {
	e, err := h.kv.Get(ctx, "count."+code)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(string(e.Value()))
	return n
}

// SetNick sets (or, empty, removes) a student's optional nickname.
func (h *Hub) SetNick(ctx context.Context, code, student, nick string) error {
	if !validStudentID(student) {
		return ErrBadRequest
	}
	if _, err := h.kv.Get(ctx, "member."+code+"."+student); err != nil {
		return ErrBadRequest
	}
	b, _ := json.Marshal(CleanNickname(nick))
	_, err := h.kv.Put(ctx, "member."+code+"."+student, b)
	return err
}

// Vote is one stored answer.
type Vote struct {
	Question, Round int
	Student         string
	Choice          int
}

// Answer records a student's answer to the room's open question, in its current round.
func (h *Hub) Answer(ctx context.Context, code, student string, question, round int, choice string) error {
	if !validStudentID(student) {
		return ErrBadRequest
	}
	r, _, err := h.Get(ctx, code)
	if err != nil {
		return err
	}
	if r.Question != question || r.Round != round || r.Phase != PhaseVoting {
		return ErrNotVoting
	}
	ci := r.choiceIndex(choice)
	if ci < 0 {
		return ErrBadChoice
	}
	if _, err := h.kv.Get(ctx, "member."+code+"."+student); err != nil {
		return ErrBadRequest // an id the room never handed out
	}
	// One key per student, question and round: Create refuses a second answer
	// (MaxAnswersPerQuestion is 1), on whichever replica it arrives.
	if _, err := h.kv.Create(ctx, voteKey(code, question, round, student), []byte(strconv.Itoa(ci))); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return ErrAnswered
		}
		return fmt.Errorf("classroom: storing an answer: %w", err)
	}
	b, _ := json.Marshal(voteMsg{Question: question, Round: round, Student: student, Choice: ci})
	return h.nc.Publish(subject+"."+code+".vote", b)
}

// Mine is the answer a student gave to the open question in its current round, or -1.
func (h *Hub) Mine(ctx context.Context, r *Room, student string) int {
	if r.Question < 0 || !validStudentID(student) {
		return -1
	}
	e, err := h.kv.Get(ctx, voteKey(r.Code, r.Question, r.Round, student))
	if err != nil {
		return -1
	}
	c, err := strconv.Atoi(string(e.Value()))
	if err != nil {
		return -1
	}
	return c
}

type voteMsg struct {
	Question int    `json:"q"`
	Round    int    `json:"r"`
	Student  string `json:"s"`
	Choice   int    `json:"c"`
}

func voteKey(code string, q, round int, student string) string {
	return "vote." + code + "." + strconv.Itoa(q) + "." + strconv.Itoa(round) + "." + student
}

// tally reads every answer of a question's round: student → choice index.
func (h *Hub) tally(ctx context.Context, code string, q, round int) (map[string]int, error) {
	out := map[string]int{}
	vs, err := h.votes(ctx, "vote."+code+"."+strconv.Itoa(q)+"."+strconv.Itoa(round)+".*")
	for _, v := range vs {
		out[v.Student] = v.Choice
	}
	return out, err
}

func (h *Hub) votes(ctx context.Context, filter string) ([]Vote, error) {
	kl, err := h.kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("classroom: listing answers: %w", err)
	}
	defer kl.Stop()
	var out []Vote
	for k := range kl.Keys() {
		f := strings.Split(k, ".")
		if len(f) != 5 {
			continue
		}
		e, err := h.kv.Get(ctx, k)
		if err != nil {
			continue // expired meanwhile
		}
		q, _ := strconv.Atoi(f[2])
		round, _ := strconv.Atoi(f[3])
		c, err := strconv.Atoi(string(e.Value()))
		if err != nil {
			continue
		}
		out = append(out, Vote{Question: q, Round: round, Student: f[4], Choice: c})
	}
	return out, nil
}

// Votes returns every answer given in a room, ordered by question, round and student,
// with the students' nicknames; only the teacher (key) may read them.
func (h *Hub) Votes(ctx context.Context, code, key string) (*Room, []Vote, map[string]string, error) {
	r, _, err := h.Get(ctx, code)
	if err != nil {
		return nil, nil, nil, err
	}
	if !r.IsTeacher(key) {
		return nil, nil, nil, ErrNotTeacher
	}
	vs, err := h.votes(ctx, "vote."+code+".>")
	if err != nil {
		return nil, nil, nil, err
	}
	slices.SortFunc(vs, func(a, b Vote) int {
		if a.Question != b.Question {
			return a.Question - b.Question
		}
		if a.Round != b.Round {
			return a.Round - b.Round
		}
		return strings.Compare(a.Student, b.Student)
	})
	nicks := map[string]string{}
	for _, v := range vs {
		if _, ok := nicks[v.Student]; ok {
			continue
		}
		nicks[v.Student] = ""
		if e, err := h.kv.Get(ctx, "member."+code+"."+v.Student); err == nil {
			var n string
			json.Unmarshal(e.Value(), &n)
			nicks[v.Student] = n
		}
	}
	return r, vs, nicks, nil
}
