// Package classroom runs Peer Instruction rooms: a teacher drives a lesson's player, the
// students follow on their phones and vote on its questions. Room state (step, question,
// phase, votes) lives in a NATS JetStream key-value bucket that every replica with
// sockets of the room watches (answers and joins also go out on a NATS subject), so a
// room spans every replica connected to the same NATS server or cluster, and a replica
// that restarts loses nothing. Alone, a process starts an
// embedded nats-server in memory and needs no setup.
//
// The package knows nothing of pages or lessons' text: the web layer tells it a room's
// questions (steps, choices, answers) when it creates one, and draws the views.
// Nothing personal is stored: a student is a random id kept by the phone, with an
// optional nickname.
package classroom
